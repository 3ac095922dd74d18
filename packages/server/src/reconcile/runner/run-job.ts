/**
 * Runs one job once: under the job's lease, resuming an unfinished run from its
 * checkpoint, merging both sources as streams, recording each mismatch and starting its
 * repair as an Accord transaction whose gid is derived from job, run and key, so a
 * resumed run starts nothing twice.
 */
import { createHash } from 'node:crypto';
import type { Clock, KeyValueStore } from '@accord/core';
import { mergeSources, type Mismatch, type MismatchKind } from '../core/merge.js';
import { decodeKey, encodeKey } from '../core/rules.js';
import { openSource, type TimeWindow } from '../sources/source.js';
import type { ReconcileJob } from './job.js';
import { JobLease } from './lease.js';
import { newRunId, NO_COUNTS, RunRecords, type RunCounts, type RunRecord } from './run-records.js';

/** What a repair transaction carries to the repair URL. */
export interface RepairPayload {
  readonly job: string;
  readonly run: string;
  readonly kind: MismatchKind;
  readonly key: readonly (number | string)[];
  readonly reference: 'left' | 'right';
  readonly left: unknown;
  readonly right: unknown;
  readonly fields: readonly string[];
}

/** Starts repair transactions (a one-step saga); a repeated gid must start nothing new. */
export interface RepairStarter {
  start(gid: string, url: string, payload: RepairPayload): Promise<void>;
}

/** Named points where a test may stop a run as a crash would. */
export type RunCrashPoint = 'after-mismatch-recorded' | 'after-repair-started' | 'after-checkpoint';

/** Everything a run needs. */
export interface RunDeps {
  readonly kv: KeyValueStore;
  readonly repairs: RepairStarter;
  readonly clock: Clock;
  /** This runner's id, unique per process. */
  readonly owner: string;
  readonly leaseMs: number;
  /** Keys merged between checkpoints. */
  readonly checkpointEvery: number;
  /** Fault injection: throws to stop the run at that point, as a crash would. */
  readonly crash?: ((point: RunCrashPoint) => void) | undefined;
}

/** A run that could not start because another runner holds the job. */
export class JobBusyError extends Error {
  constructor(readonly jobId: string) {
    super(`reconciliation ${jobId} is running on another instance`);
    this.name = 'JobBusyError';
  }
}

/** The repair gid of a mismatch: the same job, run and key always give the same gid. */
export function repairGid(jobId: string, runId: string, encodedKey: string): string {
  const digest = createHash('sha256').update(encodedKey).digest('base64url').slice(0, 22);
  return `recon-${jobId}-${runId}-${digest}`;
}

/**
 * Runs `job` once (or finishes its interrupted run) and returns the run's record. A run
 * that fails is recorded failed with its error, and the error is thrown.
 */
export async function runJob(job: ReconcileJob, deps: RunDeps): Promise<RunRecord> {
  const lease = await JobLease.take(deps.kv, job.id, deps.owner, deps.clock.now(), deps.leaseMs);
  if (lease === undefined) throw new JobBusyError(job.id);
  const records = new RunRecords(deps.kv);
  let run = await resumeOrStart(job, records, deps.clock.now());
  try {
    run = await mergeRun(job, run, lease, records, deps);
    await lease.release();
    return run;
  } catch (error) {
    if (error instanceof CrashError) throw error; // a crash writes nothing more
    run = { ...run, status: 'failed', finishedAt: iso(deps.clock.now()), error: String(error) };
    await records.save(run);
    await lease.release();
    throw error;
  }
}

/** Thrown by a crash point, so the run stops writing at once. */
class CrashError extends Error {}

async function resumeOrStart(
  job: ReconcileJob,
  records: RunRecords,
  now: number,
): Promise<RunRecord> {
  const latest = await records.latest(job.id);
  if (latest?.status === 'running') return latest;
  const from =
    job.mode === 'incremental'
      ? latest?.status === 'succeeded'
        ? latest.to
        : iso(0)
      : iso(job.windowMs === undefined ? 0 : now - job.windowMs);
  const run: RunRecord = {
    id: newRunId(now),
    jobId: job.id,
    status: 'running',
    from,
    to: iso(now),
    checkpoint: null,
    counts: NO_COUNTS,
    startedAt: iso(now),
    finishedAt: null,
    error: null,
  };
  const created = await records.create(run);
  if (created === undefined) throw new Error(`run ${job.id}/${run.id} exists already`);
  return created;
}

async function mergeRun(
  job: ReconcileJob,
  start: RunRecord,
  lease: JobLease,
  records: RunRecords,
  deps: RunDeps,
): Promise<RunRecord> {
  const window: TimeWindow = { from: new Date(start.from), to: new Date(start.to) };
  const left = await openSource(job.left, window);
  const right = await openSource(job.right, window);
  let run = start;
  let counts: RunCounts = start.counts;
  let sinceCheckpoint = 0;
  const after = start.checkpoint === null ? undefined : decodeKey(start.checkpoint);
  const crash = (point: RunCrashPoint) => {
    try {
      deps.crash?.(point);
    } catch (error) {
      throw new CrashError(String(error));
    }
  };
  for await (const step of mergeSources(job.rules, left.rows, right.rows, { after })) {
    counts = count(counts, step.kind);
    const key = encodeKey(step.key);
    if (step.kind !== 'same') await record(job, run, key, step, records, deps, crash);
    sinceCheckpoint += 1;
    if (sinceCheckpoint >= deps.checkpointEvery) {
      sinceCheckpoint = 0;
      run = { ...run, checkpoint: key, counts };
      await checkpoint(run, lease, records, deps);
      crash('after-checkpoint');
    }
  }
  await left.complete();
  await right.complete();
  run = { ...run, counts, status: 'succeeded', finishedAt: iso(deps.clock.now()) };
  await checkpoint(run, lease, records, deps);
  return run;
}

async function record(
  job: ReconcileJob,
  run: RunRecord,
  key: string,
  step: Mismatch,
  records: RunRecords,
  deps: RunDeps,
  crash: (point: RunCrashPoint) => void,
): Promise<void> {
  const url = job.repair[step.kind];
  const gid = url === undefined ? null : repairGid(job.id, run.id, key);
  await records.addMismatch(job.id, run.id, key, {
    kind: step.kind,
    key: step.key,
    left: step.left ?? null,
    right: step.right ?? null,
    fields: step.fields ?? [],
    repairGid: gid,
  });
  crash('after-mismatch-recorded');
  if (url === undefined || gid === null) return;
  await deps.repairs.start(gid, url, {
    job: job.id,
    run: run.id,
    kind: step.kind,
    key: step.key,
    reference: job.rules.reference,
    left: step.left ?? null,
    right: step.right ?? null,
    fields: step.fields ?? [],
  });
  crash('after-repair-started');
}

async function checkpoint(run: RunRecord, lease: JobLease, records: RunRecords, deps: RunDeps) {
  if (!(await lease.renew(deps.clock.now(), deps.leaseMs))) {
    throw new Error(`reconciliation ${run.jobId}: lease lost to another instance`);
  }
  await records.save(run);
}

function count(counts: RunCounts, kind: 'same' | MismatchKind): RunCounts {
  const compared = counts.compared + 1;
  switch (kind) {
    case 'same':
      return { ...counts, compared, same: counts.same + 1 };
    case 'missing-left':
      return { ...counts, compared, missingLeft: counts.missingLeft + 1 };
    case 'missing-right':
      return { ...counts, compared, missingRight: counts.missingRight + 1 };
    case 'different':
      return { ...counts, compared, different: counts.different + 1 };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
