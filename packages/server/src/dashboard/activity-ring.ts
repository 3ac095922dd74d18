/**
 * Recent activity for the dashboard, in memory: one slot per minute for the last hour,
 * fed by the engine observer. Each slot counts, by mode, the transactions that ended
 * (succeeded, failed) and the branch calls made and failed, and keeps a coarse latency
 * histogram of the calls, from which p50/p99 are read.
 */
import type { BranchOp, Mode, Outcome, TransactionRecord } from '@accord/core';
import { MODES } from '@accord/core';
import type { EngineObserver } from '../engine/observer.js';

/** Minutes kept. */
export const ACTIVITY_MINUTES = 60;
const MINUTE_MS = 60_000;

/** Latency buckets: upper bounds in ms, each 25 % above the last, 0.1 ms to ~100 s. */
const BOUNDS_MS: readonly number[] = Array.from({ length: 63 }, (_, i) => 0.1 * 1.25 ** i);

/** Counts of one mode in one minute. */
export interface ModeActivity {
  succeeded: number;
  failed: number;
  calls: number;
  callFailures: number;
}

interface Slot {
  minute: number;
  readonly byMode: Map<Mode, ModeActivity>;
  readonly latency: number[];
}

/** One minute of one mode, as the stats reply carries it. */
export interface ActivityRow extends ModeActivity {
  /** Start of the minute, ms since the epoch. */
  readonly minute: number;
  readonly mode: Mode;
}

/** The ring of per-minute counters. */
export class ActivityRing {
  readonly #slots: Slot[] = [];

  constructor(private readonly now: () => number) {}

  #slot(at: number): Slot {
    const minute = Math.floor(at / MINUTE_MS) * MINUTE_MS;
    const index = (minute / MINUTE_MS) % ACTIVITY_MINUTES;
    let slot = this.#slots[index];
    if (slot?.minute !== minute) {
      slot = { minute, byMode: new Map(), latency: new Array<number>(BOUNDS_MS.length).fill(0) };
      this.#slots[index] = slot;
    }
    return slot;
  }

  #mode(mode: Mode): ModeActivity {
    const slot = this.#slot(this.now());
    let counts = slot.byMode.get(mode);
    if (!counts) {
      counts = { succeeded: 0, failed: 0, calls: 0, callFailures: 0 };
      slot.byMode.set(mode, counts);
    }
    return counts;
  }

  /** Counts a branch call and its latency. */
  call(mode: Mode, failed: boolean, seconds: number): void {
    const counts = this.#mode(mode);
    counts.calls += 1;
    if (failed) counts.callFailures += 1;
    const ms = seconds * 1000;
    let bucket = BOUNDS_MS.findIndex((bound) => ms <= bound);
    if (bucket < 0) bucket = BOUNDS_MS.length - 1;
    const latency = this.#slot(this.now()).latency;
    latency[bucket] = (latency[bucket] ?? 0) + 1;
  }

  /** Counts a transaction that reached a terminal status. */
  ended(mode: Mode, status: 'succeeded' | 'failed'): void {
    this.#mode(mode)[status] += 1;
  }

  #recent(minutes: number): Slot[] {
    const oldest = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS - (minutes - 1) * MINUTE_MS;
    return this.#slots.filter((slot) => slot !== undefined && slot.minute >= oldest);
  }

  /** Rows of the last hour with any activity, oldest first, modes in their usual order. */
  rows(): ActivityRow[] {
    return this.#recent(ACTIVITY_MINUTES)
      .sort((a, b) => a.minute - b.minute)
      .flatMap((slot) =>
        MODES.flatMap((mode) => {
          const counts = slot.byMode.get(mode);
          return counts ? [{ minute: slot.minute, mode, ...counts }] : [];
        }),
      );
  }

  /**
   * Branch-call latency percentiles (ms, the upper bound of the bucket they fall in) over
   * the last `minutes`; null when no call was made.
   */
  latency(minutes: number): { p50Ms: number | null; p99Ms: number | null; calls: number } {
    const merged = new Array<number>(BOUNDS_MS.length).fill(0);
    for (const slot of this.#recent(minutes)) {
      slot.latency.forEach((n, i) => (merged[i] = (merged[i] ?? 0) + n));
    }
    const calls = merged.reduce((sum, n) => sum + n, 0);
    const at = (q: number): number | null => {
      if (calls === 0) return null;
      let seen = 0;
      for (const [i, n] of merged.entries()) {
        seen += n;
        if (seen >= q * calls) return Math.round((BOUNDS_MS[i] ?? 0) * 100) / 100;
      }
      return null;
    };
    return { p50Ms: at(0.5), p99Ms: at(0.99), calls };
  }
}

/** An observer that feeds `ring` and passes everything on to `inner`. */
export function withActivity(inner: EngineObserver, ring: ActivityRing): EngineObserver {
  return {
    alert: (alert, tx) => inner.alert(alert, tx),
    storeWrite: (size, seconds) => inner.storeWrite(size, seconds),
    claimed: (count, lag) => inner.claimed(count, lag),
    purged: (count) => inner.purged(count),
    lost: (tx, why) => inner.lost(tx, why),
    branchCall(tx: TransactionRecord, op: BranchOp, outcome: Outcome, seconds: number) {
      ring.call(tx.mode, outcome.kind !== 'success', seconds);
      inner.branchCall(tx, op, outcome, seconds);
    },
    terminal(tx: TransactionRecord) {
      if (tx.status === 'succeeded' || tx.status === 'failed') ring.ended(tx.mode, tx.status);
      inner.terminal(tx);
    },
  };
}
