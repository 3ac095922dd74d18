/**
 * Key-value entries of the Redis store. All entries of one namespace share the hash tag
 * `{<prefix>kv:<namespace>}`, so every operation is one Lua script on one slot (Redis
 * Cluster runs it) and a namespace is listed without crossing slots; namespaces spread
 * over the cluster. Keys of a namespace:
 *
 * - `:val` hash: key → value JSON text;
 * - `:ver` hash: key → version;
 * - `:idx` zset: every key with score 0, for listing in byte order (ZRANGEBYLEX).
 *
 * The keys are additive to key layout v1: a prefix migrated before they existed simply
 * has no entries, so the layout version did not change.
 */
import {
  checkKeyValue,
  kvPageSize,
  type KeyValueEntry,
  type KeyValueListQuery,
  type KeyValuePage,
  type KeyValueStore,
} from '@accord/core';
import { runScript, script, type RedisScript, type ScriptClient } from './redis-scripts.js';

/** The key-value scripts; each takes KEYS val, ver, idx of one namespace. */
export const REDIS_KV_SCRIPTS = {
  /** ARGV key. Answers {value, version} or {}. */
  get: script(
    'kv-get',
    3,
    `
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return {} end
return {redis.call('HGET', KEYS[1], ARGV[1]), v}`,
  ),
  /** ARGV after ('' for the start), count. Answers key, value, version triples. */
  list: script(
    'kv-list',
    3,
    `
local from = '-'
if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
local keys = redis.call('ZRANGEBYLEX', KEYS[3], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, k in ipairs(keys) do
  table.insert(out, k)
  table.insert(out, redis.call('HGET', KEYS[1], k) or 'null')
  table.insert(out, redis.call('HGET', KEYS[2], k) or '0')
end
return out`,
  ),
  /** ARGV key, value. Answers 1 created, 0 exists. */
  create: script(
    'kv-create',
    3,
    `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], '1')
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return 1`,
  ),
  /** ARGV key, value, version. Answers the new version, or 0 when refused. */
  update: script(
    'kv-update',
    3,
    `
local v = redis.call('HGET', KEYS[2], ARGV[1])
if v ~= ARGV[3] then return 0 end
local nv = fmt(tonumber(v) + 1)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], nv)
return nv`,
  ),
  /** ARGV key, version. Answers 1 deleted, 0 refused. */
  delete: script(
    'kv-delete',
    3,
    `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`,
  ),
} as const;

/** {@link KeyValueStore} on Redis, under one key prefix. */
export class RedisKeyValues implements KeyValueStore {
  constructor(
    private readonly client: () => ScriptClient,
    private readonly prefix: string,
  ) {}

  async get(namespace: string, key: string): Promise<KeyValueEntry | undefined> {
    checkKeyValue(namespace, key);
    const reply = (await this.run(REDIS_KV_SCRIPTS.get, namespace, [key])) as unknown[];
    if (reply.length < 2) return undefined;
    return entry(namespace, key, reply[0], reply[1]);
  }

  async list(namespace: string, query: KeyValueListQuery): Promise<KeyValuePage> {
    checkKeyValue(namespace, 'list');
    const size = kvPageSize(query.limit);
    const args = [query.after ?? '', size + 1];
    const flat = (await this.run(REDIS_KV_SCRIPTS.list, namespace, args)) as unknown[];
    const rows: KeyValueEntry[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      rows.push(entry(namespace, String(flat[i]), flat[i + 1], flat[i + 2]));
    }
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return { items, nextAfter: rows.length > size && last ? last.key : null };
  }

  async create(namespace: string, key: string, value: unknown): Promise<KeyValueEntry | undefined> {
    const text = checkKeyValue(namespace, key, value);
    const created = await this.run(REDIS_KV_SCRIPTS.create, namespace, [key, text]);
    if (Number(created) !== 1) return undefined;
    return entry(namespace, key, text, 1);
  }

  async update(
    namespace: string,
    key: string,
    value: unknown,
    version: number,
  ): Promise<KeyValueEntry | undefined> {
    const text = checkKeyValue(namespace, key, value);
    const args = [key, text, String(version)];
    const next = Number(await this.run(REDIS_KV_SCRIPTS.update, namespace, args));
    return next === 0 ? undefined : entry(namespace, key, text, next);
  }

  async delete(namespace: string, key: string, version: number): Promise<boolean> {
    checkKeyValue(namespace, key);
    const args = [key, String(version)];
    return Number(await this.run(REDIS_KV_SCRIPTS.delete, namespace, args)) === 1;
  }

  private run(s: RedisScript, namespace: string, args: (string | number)[]): Promise<unknown> {
    const tag = `{${this.prefix}kv:${namespace}}`;
    return runScript(this.client(), s, [`${tag}:val`, `${tag}:ver`, `${tag}:idx`], args);
  }
}

function entry(namespace: string, key: string, value: unknown, version: unknown): KeyValueEntry {
  return { namespace, key, value: JSON.parse(String(value)) as unknown, version: Number(version) };
}
