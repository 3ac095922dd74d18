/**
 * Connecting the Redis store: the structural client type (so users may pass their own
 * ioredis `Redis` or `Cluster`), the client the store creates from a URL, and the store
 * options a `redis://` / `rediss://` URL carries.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { StoreLogger } from '../common/logger.js';

/**
 * The slice of an ioredis client the store uses; both `Redis` and `Cluster` fit. Every
 * command goes through `call`, so Cluster routes it by its keys.
 */
export interface RedisClientLike {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** How to reach Redis, as read from a store URL. */
export interface RedisUrlOptions {
  /** The URL without Accord's own query parameters, for ioredis. */
  readonly url: string;
  readonly cluster: boolean;
  readonly keyPrefix?: string | undefined;
  readonly dueShards?: number | undefined;
  readonly durableCommits?: boolean | undefined;
}

const ACCORD_PARAMS = ['prefix', 'shards', 'cluster', 'durable'] as const;

function flag(value: string | null, name: string): boolean | undefined {
  if (value === null) return undefined;
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw new Error(`ACCORD_STORE: redis URL parameter ${name}="${value}" must be true or false`);
}

/**
 * Reads the store options of a Redis store URL: `redis[s]://[user:password@]host:port[/db]`
 * plus `?prefix=<key prefix>` (default `accord:`), `&shards=<index shards>` (default 16,
 * fixed when the prefix is first migrated), `&cluster=true` (the host is a seed node of a
 * Redis Cluster) and `&durable=true` (assert that the server fsyncs every write: AOF with
 * `appendfsync always`).
 *
 * @example
 * parseRedisStoreUrl('redis://cache:6379/0?prefix=pay:&shards=32');
 */
export function parseRedisStoreUrl(text: string): RedisUrlOptions {
  const url = new URL(text);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`ACCORD_STORE: not a redis:// or rediss:// URL`);
  }
  const params = url.searchParams;
  const shardsText = params.get('shards');
  const dueShards = shardsText === null ? undefined : Number(shardsText);
  if (dueShards !== undefined && !(Number.isInteger(dueShards) && dueShards >= 1)) {
    throw new Error(`ACCORD_STORE: redis URL parameter shards="${shardsText}" must be >= 1`);
  }
  const options: RedisUrlOptions = {
    url: '',
    cluster: flag(params.get('cluster'), 'cluster') ?? false,
    keyPrefix: params.get('prefix') ?? undefined,
    dueShards,
    durableCommits: flag(params.get('durable'), 'durable'),
  };
  for (const name of ACCORD_PARAMS) params.delete(name);
  return { ...options, url: url.toString() };
}

/** Connection options shared by standalone and cluster clients. */
const CONNECTION: RedisOptions = {
  // A command waits through at most two reconnection attempts, then fails: the engine
  // retries on its own schedule rather than piling up requests behind a dead server.
  maxRetriesPerRequest: 2,
  connectTimeout: 10_000,
  // A server that accepts connections and drops them (a proxy or balancer in front of a
  // dead Redis), or a network that drops packets, resets the retry count on every connect:
  // without a deadline a command would wait forever. Store commands are short.
  commandTimeout: 5_000,
};

/** Creates the ioredis client for a URL (a Cluster client if `cluster`). */
export function createRedisClient(
  url: string,
  cluster: boolean,
  logger: StoreLogger,
): RedisClientLike {
  let client: Redis | Cluster;
  if (cluster) {
    const parsed = new URL(url);
    const redisOptions: RedisOptions = {
      ...CONNECTION,
      username: decodeURIComponent(parsed.username) || undefined,
      password: decodeURIComponent(parsed.password) || undefined,
      tls: parsed.protocol === 'rediss:' ? {} : undefined,
    };
    client = new Cluster([{ host: parsed.hostname, port: Number(parsed.port || 6379) }], {
      redisOptions,
      enableAutoPipelining: true,
      maxRedirections: 16,
    });
  } else {
    client = new Redis(url, { ...CONNECTION, enableAutoPipelining: true });
  }
  // Without a listener ioredis prints every failed reconnection; log each new problem once.
  let last = '';
  client.on('error', (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    logger.error({ err: error.message }, 'redis store: connection problem');
  });
  client.on('ready', () => {
    last = '';
  });
  return client;
}
