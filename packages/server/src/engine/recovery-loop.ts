/**
 * The recovery path: claims due transactions (retries whose time came, timeouts, work
 * of instances that died) in batches and hands them to the driver, keeping up to
 * `maxInFlight` in progress.
 */
import type { Clock, Store, TransactionRecord } from '@accord/core';
import type { Driver } from './driver.js';
import type { EngineObserver } from './observer.js';
import { PeriodicTask } from './periodic-task.js';

/** Settings and collaborators of the loop. */
export interface RecoveryLoopDeps {
  readonly store: Store;
  readonly driver: Driver;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly maxInFlight: number;
  readonly observer: EngineObserver;
  readonly onError: (error: unknown, context: string, tx?: TransactionRecord) => void;
}

const MAX_CLAIM_BATCH = 128;

/** Polls the store for due work. */
export class RecoveryLoop {
  private readonly task = new PeriodicTask(() => this.poll());
  /** Consecutive failed polls (the store is down); logged on the first and every 100th. */
  private failures = 0;

  constructor(private readonly deps: RecoveryLoopDeps) {}

  /** Begins polling. */
  start(): void {
    this.task.start();
  }

  /** Stops polling and waits for a poll in progress. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One poll; resolves to the delay before the next (none when the batch came back full). */
  private async poll(): Promise<number> {
    const { store, driver, clock, observer } = this.deps;
    try {
      const capacity = Math.min(MAX_CLAIM_BATCH, this.deps.maxInFlight - driver.size);
      let claimedFull = false;
      if (capacity > 0) {
        const now = clock.now();
        const claimed = await store.claimDue(this.deps.owner, now, this.deps.leaseMs, capacity);
        if (claimed.length > 0) {
          const oldest = Math.min(...claimed.map((s) => s.tx.nextAttemptAt ?? now));
          observer.claimed(claimed.length, Math.max(0, now - oldest) / 1000);
        }
        for (const snapshot of claimed) {
          driver
            .adopt(snapshot)
            .catch((e: unknown) =>
              this.deps.onError(e, `recovering ${snapshot.tx.gid}`, snapshot.tx),
            );
        }
        claimedFull = claimed.length === capacity;
      }
      this.failures = 0;
      return claimedFull ? 0 : this.deps.pollIntervalMs;
    } catch (error) {
      this.failures += 1;
      if (this.failures % 100 === 1) {
        this.deps.onError(error, `claiming due work (failed ${this.failures} times in a row)`);
      }
      return this.deps.pollIntervalMs;
    }
  }
}
