/**
 * The reconciliation pieces of a running coordinator: the job store, the run records, the
 * runner (its repairs started through this coordinator's engine) and the scheduler.
 */
import type { Clock, Store } from '@accord/core';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../../config/config.js';
import type { RepairStarter } from '../runner/run-job.js';
import { RunRecords } from '../runner/run-records.js';
import { JobRunner } from './job-runner.js';
import { JobStore } from './job-store.js';
import { ReconcileScheduler } from './scheduler.js';

/** Keys merged between a run's checkpoints. */
const CHECKPOINT_EVERY = 1000;

/** What {@link reconcileParts} builds. */
export interface ReconcileParts {
  readonly jobs: JobStore;
  readonly runs: RunRecords;
  readonly runner: JobRunner;
  readonly scheduler: ReconcileScheduler;
  /** Directories sources may read files under (ACCORD_RECONCILE_FILES). */
  readonly filesRoots: readonly string[];
  /** Stops the scheduler and waits for runs, at most the shutdown grace. */
  stop(): Promise<void>;
}

/** Builds the reconciliation pieces on `store`. */
export function reconcileParts(deps: {
  readonly config: Pick<
    ServerConfig,
    'leaseMs' | 'reconcileCheckMs' | 'reconcileFiles' | 'shutdownGraceMs'
  >;
  readonly store: Store;
  /** Starts repairs as transactions of this coordinator. */
  readonly repairs: RepairStarter;
  readonly clock: Clock;
  readonly owner: string;
  readonly logger: FastifyBaseLogger;
}): ReconcileParts {
  const { config, store, clock, logger } = deps;
  const jobs = new JobStore(store.kv);
  const runs = new RunRecords(store.kv);
  const runner = new JobRunner(
    {
      kv: store.kv,
      repairs: deps.repairs,
      clock,
      owner: deps.owner,
      // A run renews at each checkpoint: give it room for a slow batch.
      leaseMs: Math.max(config.leaseMs, 60_000),
      checkpointEvery: CHECKPOINT_EVERY,
    },
    logger,
  );
  const scheduler = new ReconcileScheduler({
    jobs,
    runs,
    runner,
    clock,
    intervalMs: config.reconcileCheckMs,
    log: logger,
  });
  return {
    jobs,
    runs,
    runner,
    scheduler,
    filesRoots: config.reconcileFiles,
    async stop() {
      await scheduler.stop();
      await runner.close(config.shutdownGraceMs);
    },
  };
}
