/**
 * Retention: deletes terminal transactions older than the configured age in the
 * background, in small batches so the store never holds a long delete.
 */
import type { Clock, Store } from '@accord/core';
import { PeriodicTask } from './periodic-task.js';

/** Settings of the loop. */
export interface RetentionDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** Terminal transactions that finished longer ago than this are purged. */
  readonly retentionMs: number;
  /** Rows per delete. */
  readonly batchSize?: number;
  readonly onPurged: (count: number) => void;
  readonly onError: (error: unknown, context: string) => void;
}

/** Periodically purges old terminal transactions. */
export class RetentionLoop {
  private readonly task = new PeriodicTask(() => this.pass(), false);

  constructor(private readonly deps: RetentionDeps) {}

  /** How often it looks: a quarter of the retention age, between 1 s and 1 min. */
  get intervalMs(): number {
    return Math.min(60_000, Math.max(1_000, Math.floor(this.deps.retentionMs / 4)));
  }

  /** Starts the loop (first pass right away). */
  start(): void {
    this.task.start();
  }

  /** Stops and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One full pass: purges batch after batch until nothing old is left. */
  async purgeOnce(): Promise<number> {
    const batch = this.deps.batchSize ?? 500;
    const before = this.deps.clock.now() - this.deps.retentionMs;
    let total = 0;
    for (;;) {
      const purged = await this.deps.store.purgeTerminal(before, batch);
      total += purged;
      if (purged < batch || this.task.isStopped) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async pass(): Promise<number> {
    try {
      const purged = await this.purgeOnce();
      if (purged > 0) this.deps.onPurged(purged);
    } catch (error) {
      this.deps.onError(error, 'purging old transactions');
    }
    return this.intervalMs;
  }
}
