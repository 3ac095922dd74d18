/**
 * Starts each job whose cron schedule is due. Every instance looks on an interval; the
 * job's lease lets one of them run it. A job is due when its schedule fired since its
 * latest run started (or since it was defined, before its first run).
 */
import { Cron } from 'croner';
import type { Clock } from '@accord/core';
import type { RunRecords } from '../runner/run-records.js';
import type { JobRunner, RunLog } from './job-runner.js';
import type { JobStore, StoredJob } from './job-store.js';

/** What the scheduler needs. */
export interface SchedulerDeps {
  readonly jobs: JobStore;
  readonly runs: RunRecords;
  readonly runner: JobRunner;
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly log: RunLog;
}

/** Whether `job`'s schedule fired after `since` and by `now`. */
export function scheduleDue(job: StoredJob, since: string, now: number): boolean {
  if (job.schedule === undefined) return false;
  const next = new Cron(job.schedule, { paused: true, timezone: 'UTC' }).nextRun(new Date(since));
  return next !== null && next.getTime() <= now;
}

/** Looks for due jobs on an interval. */
export class ReconcileScheduler {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Starts looking. */
  start(): void {
    this.timer = setInterval(() => {
      this.looking ??= this.look().finally(() => (this.looking = undefined));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops looking and waits for a look in progress (runs end through the runner). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.looking;
  }

  /** One look: starts every job that is due. */
  async look(): Promise<void> {
    try {
      for (const job of await this.deps.jobs.list()) {
        if (job.schedule === undefined) continue;
        const latest = await this.deps.runs.latest(job.id);
        if (scheduleDue(job, latest?.startedAt ?? job.updatedAt, this.deps.clock.now())) {
          this.deps.runner.start(job);
        }
      }
    } catch (error) {
      this.deps.log.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'reconciliation schedule look failed',
      );
    }
  }
}
