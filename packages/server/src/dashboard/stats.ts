/** Builds the dashboard's overview (`GET /v1/stats`) from the store, the activity ring and the heartbeats. */
import type { Store } from '@accord/core';
import type { StatsReply } from '@accord/core/schemas';
import type { ActivityRing } from './activity-ring.js';
import type { InstanceHeartbeat } from './instance-heartbeat.js';

/** Minutes the latency percentiles cover. */
const LATENCY_MINUTES = 5;

/** What the overview is read from. */
export interface StatsSources {
  readonly store: Store;
  readonly activity: ActivityRing;
  readonly heartbeat: InstanceHeartbeat;
  /** Transactions past their mode's stuck threshold at the last stuck check, by mode. */
  readonly stuck: () => Readonly<Record<string, number>>;
  readonly now: () => number;
}

/** Reads the overview. */
export async function readStats(sources: StatsSources): Promise<StatsReply> {
  const now = sources.now();
  const [summary, instances] = await Promise.all([
    sources.store.summarize(now),
    sources.heartbeat.list(),
  ]);
  const parked = summary.live.reduce((sum, c) => sum + (c.parked ? c.count : 0), 0);
  return {
    now,
    store: sources.store.kind,
    live: [...summary.live],
    parked,
    stuck: Object.values(sources.stuck()).reduce((sum, n) => sum + n, 0),
    dueLagMs: summary.oldestDueAt === null ? 0 : Math.max(0, now - summary.oldestDueAt),
    activity: sources.activity.rows(),
    latency: sources.activity.latency(LATENCY_MINUTES),
    instances,
  };
}
