/**
 * The calls of one participant over a recent window: how many, how many failed, and
 * their latency percentiles. The window is a ring of slots (30 s each by default); a
 * slot older than the window is emptied before it is used again, so memory stays fixed
 * however many calls there are. Latencies go into log-scale buckets 5 % wide, so a
 * percentile is within 5 % of the true one. Pure: the time comes in with every call.
 */

/** Width of one latency bucket: each bucket's upper bound is 5 % above the previous one. */
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);

interface Slot {
  /** Start of the slot's period (ms), or -1 while unused. */
  start: number;
  calls: number;
  errors: number;
  /** Calls per latency bucket. */
  readonly latency: Map<number, number>;
}

/** What a window holds now. */
export interface RecentSummary {
  readonly calls: number;
  readonly errors: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

/** The recent calls of one participant. */
export class RecentCalls {
  private readonly slots: Slot[];

  /**
   * @param windowMs how far back the window reaches
   * @param slotMs the granularity: calls leave the window a slot at a time
   */
  constructor(
    private readonly windowMs = 300_000,
    private readonly slotMs = 30_000,
  ) {
    const count = Math.ceil(windowMs / slotMs);
    this.slots = Array.from({ length: count }, () => ({
      start: -1,
      calls: 0,
      errors: 0,
      latency: new Map(),
    }));
  }

  /** Records one call that ended at `now`, took `ms`, and failed or not. */
  record(now: number, ms: number, failed: boolean): void {
    const slot = this.slotAt(now);
    slot.calls += 1;
    if (failed) slot.errors += 1;
    const bucket = bucketOf(ms);
    slot.latency.set(bucket, (slot.latency.get(bucket) ?? 0) + 1);
  }

  /** The calls of the window that ends at `now`. */
  summary(now: number): RecentSummary {
    let calls = 0;
    let errors = 0;
    const latency = new Map<number, number>();
    for (const slot of this.slots) {
      if (slot.start < 0 || slot.start <= now - this.windowMs || slot.start > now) continue;
      calls += slot.calls;
      errors += slot.errors;
      for (const [bucket, n] of slot.latency) latency.set(bucket, (latency.get(bucket) ?? 0) + n);
    }
    return {
      calls,
      errors,
      latencyP50Ms: percentile(latency, calls, 0.5),
      latencyP99Ms: percentile(latency, calls, 0.99),
    };
  }

  private slotAt(now: number): Slot {
    const start = now - (now % this.slotMs);
    const slot = this.slots[Math.floor(start / this.slotMs) % this.slots.length]!;
    if (slot.start !== start) {
      slot.start = start;
      slot.calls = 0;
      slot.errors = 0;
      slot.latency.clear();
    }
    return slot;
  }
}

/** The bucket of a latency: 0 holds up to 1 ms, bucket k up to 1.05^k ms. */
function bucketOf(ms: number): number {
  return ms <= 1 ? 0 : Math.ceil(Math.log(ms) / LOG_GROWTH);
}

/** The upper bound of the bucket that holds the `q` quantile, ms (two decimals); null with no calls. */
function percentile(latency: Map<number, number>, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const bucket of [...latency.keys()].sort((a, b) => a - b)) {
    seen += latency.get(bucket)!;
    if (seen >= rank) return Math.round(GROWTH ** bucket * 100) / 100;
  }
  return null;
}
