/**
 * The coordinator's own count of store commits, read from its Prometheus endpoint:
 * `accord_store_commits_total` (every commit) and `accord_store_syncs_total` (commits
 * that waited for the disk), summed over their labels.
 */
import { request } from 'undici';

/** Commits so far; a field is null when the coordinator does not export it. */
export interface StoreCounters {
  readonly commits: number | null;
  readonly syncs: number | null;
}

/** Sums every sample of `metric` in Prometheus text; null when there is none. */
export function sumMetric(text: string, metric: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Scrapes `<coordinatorUrl>/metrics`; both null when it cannot be read. */
export async function readStoreCounters(coordinatorUrl: string): Promise<StoreCounters> {
  try {
    const response = await request(`${coordinatorUrl}/metrics`, {
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) return { commits: null, syncs: null };
    return {
      commits: sumMetric(text, 'accord_store_commits_total'),
      syncs: sumMetric(text, 'accord_store_syncs_total'),
    };
  } catch {
    return { commits: null, syncs: null };
  }
}
