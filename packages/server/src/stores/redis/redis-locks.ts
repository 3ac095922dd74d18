/**
 * Row locks of the Redis store. Every lock lives under one hash tag,
 * `{<prefix>locks}`, so an acquisition of many keys is one Lua script on one slot
 * (all or none, atomic; Redis Cluster runs it), at the price of putting every lock on
 * one node of a cluster:
 *
 * - `:held` hash: lock key → JSON `[gid, branchId, acquiredAt]`;
 * - `:gid:<gid>` set: the keys a transaction holds, for releasing them together.
 *
 * The transaction's own keys are in another slot, so the write that ends a transaction
 * cannot release its locks in the same script: the store releases them right after that
 * write, and retention releases whatever a crash in between left (see redis-store.ts).
 * The keys are additive to key layout v1.
 */
import {
  normalizeLockKeys,
  type LockRequest,
  type LockResult,
  type RowLock,
  type RowLockStore,
} from '@accord/core';
import { runScript, script, type ScriptClient } from './redis-scripts.js';

/** The row-lock scripts; each takes KEYS held, gid set. */
export const REDIS_LOCK_SCRIPTS = {
  /**
   * ARGV gid, branchId, now, keys... Answers {1, added keys...} or {0, key, holder JSON}.
   */
  acquire: script(
    'locks-acquire',
    2,
    `
for i = 4, #ARGV do
  local holder = redis.call('HGET', KEYS[1], ARGV[i])
  if holder and cjson.decode(holder)[1] ~= ARGV[1] then return {0, ARGV[i], holder} end
end
local out = {1}
local entry = cjson.encode({ARGV[1], ARGV[2], tonumber(ARGV[3])})
for i = 4, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], entry) == 1 then
    redis.call('SADD', KEYS[2], ARGV[i])
    table.insert(out, ARGV[i])
  end
end
return out`,
  ),
  /** ARGV gid, keys... (none: every key of the gid). Answers how many were released. */
  release: script(
    'locks-release',
    2,
    `
local keys = {}
if #ARGV > 1 then
  for i = 2, #ARGV do table.insert(keys, ARGV[i]) end
else
  keys = redis.call('SMEMBERS', KEYS[2])
end
local n = 0
for _, k in ipairs(keys) do
  local holder = redis.call('HGET', KEYS[1], k)
  if holder and cjson.decode(holder)[1] == ARGV[1] then
    redis.call('HDEL', KEYS[1], k)
    n = n + 1
  end
  redis.call('SREM', KEYS[2], k)
end
return n`,
  ),
  /** ARGV none. Answers key, holder JSON pairs of the gid's locks. */
  heldBy: script(
    'locks-held-by',
    2,
    `
local out = {}
for _, k in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local holder = redis.call('HGET', KEYS[1], k)
  if holder then
    table.insert(out, k)
    table.insert(out, holder)
  end
end
return out`,
  ),
} as const;

/** Keys beyond which a script's argument list is split (Lua's stack limits). */
const MAX_ARGS = 5_000;

/** {@link RowLockStore} on Redis, under one key prefix. */
export class RedisRowLocks implements RowLockStore {
  constructor(
    private readonly client: () => ScriptClient,
    private readonly prefix: string,
  ) {}

  async acquire(request: LockRequest): Promise<LockResult> {
    const keys = normalizeLockKeys(request.keys);
    if (keys.length === 0) return { acquired: true, added: [] };
    if (keys.length > MAX_ARGS) throw new Error(`row locks: more than ${MAX_ARGS} keys at once`);
    const args = [request.gid, request.branchId, request.now, ...keys];
    const reply = (await this.run('acquire', request.gid, args)) as unknown[];
    if (Number(reply[0]) === 1) return { acquired: true, added: reply.slice(1).map(String) };
    return { acquired: false, conflict: toLock(String(reply[1]), reply[2]) };
  }

  async release(gid: string, keys?: readonly string[]): Promise<number> {
    if (keys !== undefined && keys.length === 0) return 0;
    const args = [gid, ...(keys === undefined ? [] : normalizeLockKeys(keys))];
    return Number(await this.run('release', gid, args));
  }

  async heldBy(gid: string): Promise<RowLock[]> {
    const flat = (await this.run('heldBy', gid, [])) as unknown[];
    const locks: RowLock[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) locks.push(toLock(String(flat[i]), flat[i + 1]));
    return locks.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private run(
    name: keyof typeof REDIS_LOCK_SCRIPTS,
    gid: string,
    args: (string | number)[],
  ): Promise<unknown> {
    const tag = `{${this.prefix}locks}`;
    const keys = [`${tag}:held`, `${tag}:gid:${gid}`];
    return runScript(this.client(), REDIS_LOCK_SCRIPTS[name], keys, args);
  }
}

function toLock(key: string, holder: unknown): RowLock {
  const [gid, branchId, acquiredAt] = JSON.parse(String(holder)) as [string, string, number];
  return { key, gid, branchId, acquiredAt };
}
