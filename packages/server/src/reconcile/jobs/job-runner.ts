/**
 * Starts runs of jobs in the background, at most one per job on this instance (the lease
 * keeps it to one across instances), and waits for them on shutdown.
 */
import { redactUrlsIn } from '@accord/protocol';
import { JobBusyError, runJob, type RunDeps } from '../runner/run-job.js';
import { leaseHeldByOther } from '../runner/lease.js';
import type { StoredJob } from './job-store.js';

/** Where the outcome of a background run is told. */
export interface RunLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Runs jobs in the background. */
export class JobRunner {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: RunDeps,
    private readonly log: RunLog,
  ) {}

  /** Whether a run of the job is going on here or, under a live lease, elsewhere. */
  async busy(jobId: string): Promise<boolean> {
    if (this.running.has(jobId)) return true;
    return leaseHeldByOther(this.deps.kv, jobId, this.deps.owner, this.deps.clock.now());
  }

  /** Starts a run of `job` unless one is going on here; false when one is. */
  start(job: StoredJob): boolean {
    if (this.running.has(job.id)) return false;
    const done = runJob(job, this.deps).then(
      (run) =>
        this.log.info(
          { job: job.id, run: run.id, counts: run.counts },
          'reconciliation run finished',
        ),
      (error: unknown) => {
        if (error instanceof JobBusyError) return;
        this.log.warn(
          {
            job: job.id,
            error: redactUrlsIn(error instanceof Error ? error.message : String(error)),
          },
          'reconciliation run failed',
        );
      },
    );
    const tracked = done.finally(() => this.running.delete(job.id));
    this.running.set(job.id, tracked);
    return true;
  }

  /**
   * Resolves once every run started here has ended, or after `graceMs`: a run cut off by
   * the stop is resumed from its checkpoint by the next runner once its lease expires.
   */
  async close(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.all([...this.running.values()]), grace]);
    clearTimeout(timer);
  }
}
