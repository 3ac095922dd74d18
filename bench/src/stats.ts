/**
 * Latency summaries from raw samples: every sample is kept and sorted, which is exact and
 * cheap at a benchmark's scale (a few hundred thousand samples).
 */

/** Latency percentiles in milliseconds; all null when there were no samples. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of ascending `sorted`. */
export function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/**
 * Summarizes latency samples (ms).
 *
 * @example
 * summarize([3, 1, 2]).p50; // 2
 */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? null : sum / sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
  };
}
