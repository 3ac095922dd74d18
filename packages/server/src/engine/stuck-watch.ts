/**
 * Watches for stuck transactions (non-terminal longer than their mode's threshold):
 * counts them per mode for the gauge and raises the `stuck` alert once per transaction.
 * "Once" holds across instances and restarts: the first instance to record the gid in
 * the store's key-value entries raises it; the record goes when the gid stops being stuck.
 */
import type { Clock, Mode, Store, StuckThresholds, TransactionRecord } from '@accord/core';
import { MODES, stuckCutoffs } from '@accord/core';
import { PeriodicTask } from './periodic-task.js';

/** Key-value namespace of the gids already alerted. */
export const STUCK_ALERTS_NAMESPACE = 'accord.stuck-alerts';

/** Most stuck transactions one pass looks at (and alerts for). */
const MAX_PER_PASS = 10_000;
const PAGE = 500;

/** What the watch needs. */
export interface StuckWatchDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly thresholds: StuckThresholds;
  readonly intervalMs: number;
  /** Told of each transaction found stuck for the first time. */
  readonly onStuck: (tx: TransactionRecord, thresholdMs: number) => void;
  readonly onError: (error: unknown, context: string) => void;
}

/** The periodic stuck check; {@link StuckWatch.counts} feeds the gauge. */
export class StuckWatch {
  private readonly task: PeriodicTask;
  private latest: Record<Mode, number> = zeroCounts();

  constructor(private readonly deps: StuckWatchDeps) {
    this.task = new PeriodicTask(async () => {
      await this.check().catch((error: unknown) => deps.onError(error, 'stuck check'));
      return deps.intervalMs;
    }, false);
  }

  /** Stuck transactions per mode at the last check. */
  get counts(): Readonly<Record<Mode, number>> {
    return this.latest;
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass: counts, alerts for the new ones, forgets the ones no longer stuck. */
  async check(): Promise<void> {
    const { store, thresholds } = this.deps;
    const createdBefore = stuckCutoffs(thresholds, this.deps.clock.now());
    const counts = zeroCounts();
    const seen = new Set<string>();
    let cursor: string | undefined;
    let complete = false;
    while (seen.size < MAX_PER_PASS && !this.task.isStopped) {
      const page = await store.list({ stuck: { is: true, createdBefore }, cursor, limit: PAGE });
      for (const tx of page.items) {
        counts[tx.mode] += 1;
        seen.add(tx.gid);
        const created = await store.kv.create(STUCK_ALERTS_NAMESPACE, tx.gid, {
          at: this.deps.clock.now(),
        });
        if (created) this.deps.onStuck(tx, thresholds[tx.mode]);
      }
      if (page.nextCursor === null) {
        complete = true;
        break;
      }
      cursor = page.nextCursor;
    }
    this.latest = counts;
    if (complete) await this.forget(seen);
  }

  /** Deletes the records of gids that are no longer stuck (ended, resolved, purged). */
  private async forget(stuck: ReadonlySet<string>): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.store.kv.list(STUCK_ALERTS_NAMESPACE, { after, limit: 1000 });
      for (const entry of page.items) {
        if (!stuck.has(entry.key)) {
          await this.deps.store.kv.delete(STUCK_ALERTS_NAMESPACE, entry.key, entry.version);
        }
      }
      if (page.nextAfter === null) return;
      after = page.nextAfter;
    }
  }
}

function zeroCounts(): Record<Mode, number> {
  return Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
}
