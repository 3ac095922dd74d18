/**
 * The Redis Cluster the suites run against. `npm test` starts a private one with
 * `scripts/redis-cluster.mjs` and names a seed node in ACCORD_TEST_REDIS_CLUSTER_URL;
 * like every other service, a missing cluster skips the suite unless
 * ACCORD_REQUIRE_SERVICES=1, where it fails.
 */
import { Cluster } from 'ioredis';
import { servicesRequired, uniqueName, type TempKeyPrefix } from './services.js';

/** Where the cluster is, and how to get one. */
export const REDIS_CLUSTER = {
  url: process.env['ACCORD_TEST_REDIS_CLUSTER_URL'],
  hint:
    'run the suites with `npm test` (it starts a private cluster), or start one with ' +
    '`node scripts/redis-cluster.mjs` and set ACCORD_TEST_REDIS_CLUSTER_URL to the URL it prints',
} as const;

/** An ioredis Cluster client on the seed node of `url` that gives up instead of retrying. */
function connectCluster(url: string): Cluster {
  const { hostname, port } = new URL(url);
  const cluster = new Cluster([{ host: hostname, port: Number(port || 6379) }], {
    lazyConnect: true,
    clusterRetryStrategy: () => null,
    redisOptions: { connectTimeout: 3000, maxRetriesPerRequest: 1 },
  });
  cluster.on('error', () => undefined);
  return cluster;
}

let probed: Promise<string | null> | undefined;

async function probe(): Promise<string | null> {
  const url = REDIS_CLUSTER.url;
  if (!url) return 'ACCORD_TEST_REDIS_CLUSTER_URL is not set';
  const cluster = connectCluster(url);
  try {
    await cluster.connect();
    const info = String(await cluster.call('CLUSTER', 'INFO'));
    return /cluster_state:ok/.test(info) ? null : `cluster at ${url} is not ok: ${info.trim()}`;
  } catch (error) {
    return `${url}: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    cluster.disconnect();
  }
}

/**
 * Like `requireService`, for the Redis Cluster: null when it answers with
 * `cluster_state:ok`, else a skip reason, or a throw when ACCORD_REQUIRE_SERVICES=1.
 *
 * @example
 * const skip = await requireRedisCluster();
 * describe('on Redis Cluster', { skip: skip ?? false }, () => { ... });
 */
export async function requireRedisCluster(): Promise<string | null> {
  probed ??= probe();
  const problem = await probed;
  if (problem === null) return null;
  const line = `redis cluster unavailable (${problem}); ${REDIS_CLUSTER.hint}`;
  if (servicesRequired()) throw new Error(`ACCORD_REQUIRE_SERVICES=1 but ${line}`);
  return line;
}

/** Deletes every key containing `prefix` on every master of the cluster at `url`. */
export async function dropClusterKeys(url: string, prefix: string): Promise<void> {
  const cluster = connectCluster(url);
  try {
    await cluster.connect();
    for (const node of cluster.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        cursor = next;
        // One key at a time: the keys of one node still span several slots.
        for (const key of keys) await node.unlink(key);
      } while (cursor !== '0');
    }
  } finally {
    cluster.disconnect();
  }
}

/**
 * A unique key prefix on the Redis Cluster (`url` is the seed node); `drop()` deletes
 * its keys on every master. Call {@link requireRedisCluster} first.
 */
export function createTempClusterKeyPrefix(prefix = 'accord_test'): TempKeyPrefix {
  const url = REDIS_CLUSTER.url;
  if (!url) throw new Error('ACCORD_TEST_REDIS_CLUSTER_URL is not set');
  const unique = `${uniqueName(prefix)}:`;
  return { prefix: unique, url, drop: () => dropClusterKeys(url, unique) };
}
