/**
 * Redis Cluster as a coordinator store of the test worlds: a unique key prefix on the
 * cluster `npm test` starts (scripts/redis-cluster.mjs), and the skip rule of its suites.
 */
import {
  createTempClusterKeyPrefix,
  requireRedisCluster,
  requireService,
  type ServiceName,
} from '@accord/testkit';

/** Isolated coordinator storage on the cluster: a store URL and how to remove its keys. */
export async function redisClusterStorage(): Promise<{ url: string; drop(): Promise<void> }> {
  const skip = await requireRedisCluster();
  if (skip) throw new Error(skip);
  const keys = createTempClusterKeyPrefix('accord_coord');
  const prefix = encodeURIComponent(keys.prefix);
  return { url: `${keys.url}/?cluster=true&prefix=${prefix}`, drop: () => keys.drop() };
}

/** The skip reason of a world store (null when it is there), as `requireService` gives it. */
export function requireWorldStore(store: ServiceName | 'redis-cluster'): Promise<string | null> {
  return store === 'redis-cluster' ? requireRedisCluster() : requireService(store);
}
