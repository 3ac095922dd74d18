/**
 * Every Lua script of the Redis store, as data. Each script touches the keys of ONE hash
 * tag only (one transaction, or one index shard), so all of them run on Redis Cluster.
 * Scripts run with EVALSHA and fall back to EVAL when the server does not know them yet
 * (first use, restart, failover); nothing is registered on the client.
 *
 * Conventions: numbers travel as decimal strings and are written back with
 * `string.format('%.0f', n)` (Lua's default formatting would round 16-digit revisions);
 * null fields are absent hash fields; the transaction scripts answer `{code, ...}` with
 * code 1 applied, 0 refused (with the current record), -1 no such transaction.
 */
import { createHash } from 'node:crypto';

/** A script and how many of its arguments are keys. */
export interface RedisScript {
  readonly name: string;
  readonly keys: number;
  readonly lua: string;
  readonly sha: string;
}

/** The slice of an ioredis client (standalone or Cluster) the scripts need. */
export interface ScriptClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** Defines a script: the shared helpers are put before `body`, and its SHA computed. */
export function script(name: string, keys: number, body: string): RedisScript {
  const lua = `${PRELUDE}\n${body.trim()}\n`;
  return { name, keys, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Helpers shared by the scripts. */
const PRELUDE = `
local function fmt(n) return string.format('%.0f', n) end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Every change of a record raises its revision: at least +1, and at least the server
-- clock in microseconds, so a gid re-created after a purge starts above its old life.
local function bump_rev(rec)
  local prev = tonumber(redis.call('HGET', rec, 'rev') or '0')
  local rev = fmt(math.max(prev + 1, now_us()))
  redis.call('HSET', rec, 'rev', rev)
  return rev
end
local function terminal(status) return status == 'succeeded' or status == 'failed' end`;

/** The scripts of the Redis store. */
export const REDIS_SCRIPTS = {
  /**
   * KEYS rec, ops, hist. ARGV: n, n field/value pairs of the record, then field/value
   * pairs of ops. Inserts if absent; otherwise answers the stored snapshot.
   */
  insert: script(
    'insert',
    3,
    `
local rec, ops, hist = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', rec) == 1 then
  return {0, redis.call('HGETALL', rec), redis.call('HVALS', ops)}
end
redis.call('DEL', ops, hist)
local n = tonumber(ARGV[1])
for i = 2, 2 * n, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
for i = 2 * n + 2, #ARGV, 2 do redis.call('HSET', ops, ARGV[i], ARGV[i + 1]) end
bump_rev(rec)
return {1, redis.call('HGETALL', rec)}`,
  ),

  /**
   * KEYS rec, ops, hist. ARGV: fence, release (1/0), n, n field/value pairs to set, m,
   * m fields to delete, k, k op field/value pairs, then attempt JSON values. Applied only
   * if the stored fence equals the writer's.
   */
  write: script(
    'write',
    3,
    `
local rec, ops, hist = KEYS[1], KEYS[2], KEYS[3]
local fence = redis.call('HGET', rec, 'fence')
if not fence then return {-1} end
if tonumber(fence) ~= tonumber(ARGV[1]) then return {0, redis.call('HGETALL', rec)} end
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  redis.call('HSET', rec, ARGV[i], ARGV[i + 1]); i = i + 2
end
local m = tonumber(ARGV[i]); i = i + 1
for _ = 1, m do redis.call('HDEL', rec, ARGV[i]); i = i + 1 end
if ARGV[2] == '1' then
  redis.call('HDEL', rec, 'lease_owner')
  redis.call('HSET', rec, 'lease_until', '0')
end
local k = tonumber(ARGV[i]); i = i + 1
for _ = 1, k do redis.call('HSET', ops, ARGV[i], ARGV[i + 1]); i = i + 2 end
while i <= #ARGV do redis.call('RPUSH', hist, ARGV[i]); i = i + 1 end
bump_rev(rec)
return {1, redis.call('HGETALL', rec)}`,
  ),

  /** KEYS rec, ops. The record and its ops, from one instant. */
  snapshot: script(
    'snapshot',
    2,
    `return {redis.call('HGETALL', KEYS[1]), redis.call('HVALS', KEYS[2])}`,
  ),

  /**
   * KEYS rec, ops. ARGV owner, now, lease expiry, due-only (1/0). Takes the lease of a
   * non-terminal transaction whose lease is free or expired (and, due-only, that is not
   * parked, not paused and has nextAttemptAt <= now), raising the fence.
   */
  claim: script(
    'claim',
    2,
    `
local rec = KEYS[1]
local f = redis.call('HMGET', rec, 'status', 'parked', 'next_attempt_at', 'lease_until', 'fence',
  'paused')
if not f[1] then return {-1} end
local now = tonumber(ARGV[2])
local ok = not terminal(f[1]) and tonumber(f[4]) <= now
if ok and ARGV[4] == '1' then
  ok = f[2] ~= '1' and f[6] ~= '1' and f[3] ~= false and tonumber(f[3]) <= now
end
if not ok then return {0, redis.call('HGETALL', rec)} end
redis.call('HSET', rec, 'lease_owner', ARGV[1], 'lease_until', ARGV[3],
  'fence', fmt(tonumber(f[5]) + 1))
bump_rev(rec)
return {1, redis.call('HGETALL', rec), redis.call('HVALS', KEYS[2])}`,
  ),

  /**
   * KEYS rec, ops. ARGV revision read, now, then op field/value pairs. Makes a waiting
   * transaction due now with the given ops, if the record is still at the revision the
   * caller read (nothing changed it since) and its lease is free or expired.
   */
  hasten: script(
    'hasten',
    2,
    `
local rec = KEYS[1]
local f = redis.call('HMGET', rec, 'rev', 'lease_until')
if not f[1] then return {-1} end
if f[1] ~= ARGV[1] or tonumber(f[2]) > tonumber(ARGV[2]) then
  return {0, redis.call('HGETALL', rec)}
end
redis.call('HSET', rec, 'next_attempt_at', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
bump_rev(rec)
return {1, redis.call('HGETALL', rec)}`,
  ),

  /** KEYS rec. ARGV fence, owner, new expiry. Extends a lease still held. */
  renew: script(
    'renew',
    1,
    `
local rec = KEYS[1]
local f = redis.call('HMGET', rec, 'fence', 'lease_owner')
if not f[1] then return {-1} end
if tonumber(f[1]) ~= tonumber(ARGV[1]) or f[2] ~= ARGV[2] then
  return {0, redis.call('HGETALL', rec)}
end
redis.call('HSET', rec, 'lease_until', ARGV[3])
bump_rev(rec)
return {1, redis.call('HGETALL', rec)}`,
  ),

  /**
   * KEYS rec, ops, hist. ARGV finished-before. Deletes a terminal transaction that
   * finished before the cut-off; answers its createdAt.
   */
  purge: script(
    'purge',
    3,
    `
local rec = KEYS[1]
local f = redis.call('HMGET', rec, 'status', 'finished_at', 'created_at')
if not f[1] then return {-1} end
if terminal(f[1]) and f[2] and tonumber(f[2]) < tonumber(ARGV[1]) then
  redis.call('DEL', rec, KEYS[2], KEYS[3])
  return {1, f[3]}
end
return {0, redis.call('HGETALL', rec)}`,
  ),

  /**
   * Step 0 of insert/write, on the shard. KEYS intent, due. ARGV gid, intent id, ttl ms,
   * write-ahead due score ('' for none). Registers the mutation as in flight and lowers
   * (never raises) the due score, so the transaction is visited even if step 2 is lost.
   */
  begin: script(
    'begin',
    2,
    `
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], fmt(math.floor(now_us() / 1000) + ttl), ARGV[2])
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[2], 'LT', ARGV[4], ARGV[1]) end
return 1`,
  ),

  /**
   * Step 2 of every change, on the shard: brings the shard's indexes to the state a
   * transaction script returned. KEYS intent, due, parked, done, created, rev. ARGV gid,
   * intent id ('' for none), revision, exists (1/0), due score, parked (1/0), done
   * score, created member, and (gone only) the created member of a purged record.
   *
   * Rules (see the invariants in redis-store.ts): a state older than the revision
   * already applied is dropped; while another mutation of the gid is in flight the due
   * score may only go down, and a gone record is not cleaned up.
   */
  settle: script(
    'settle',
    6,
    `
local intent, due, parked, done, created, revs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local gid = ARGV[1]
if ARGV[2] ~= '' then redis.call('ZREM', intent, ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', intent, '-inf', fmt(math.floor(now_us() / 1000)))
local busy = redis.call('ZCARD', intent) > 0
if ARGV[4] == '0' then
  if ARGV[9] ~= '' then redis.call('ZREM', created, ARGV[9]) end
  if busy then return 0 end
  redis.call('ZREM', due, gid)
  redis.call('SREM', parked, gid)
  redis.call('ZREM', done, gid)
  redis.call('HDEL', revs, gid)
  return 1
end
local applied = redis.call('HGET', revs, gid)
if applied and tonumber(applied) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', revs, gid, ARGV[3])
redis.call('ZADD', created, 0, ARGV[8])
if ARGV[6] == '1' then redis.call('SADD', parked, gid) else redis.call('SREM', parked, gid) end
if ARGV[7] ~= '' then redis.call('ZADD', done, ARGV[7], gid) else redis.call('ZREM', done, gid) end
if ARGV[5] ~= '' then
  if busy then redis.call('ZADD', due, 'LT', ARGV[5], gid) else redis.call('ZADD', due, ARGV[5], gid) end
elseif not busy then
  redis.call('ZREM', due, gid)
end
return 1`,
  ),

  /**
   * KEYS meta. ARGV layout version, shard count. Records the layout on first use;
   * answers {version, shards} as stored.
   */
  meta: script(
    'meta',
    1,
    `
local v = redis.call('HGET', KEYS[1], 'version')
if not v then
  redis.call('HSET', KEYS[1], 'version', ARGV[1], 'shards', ARGV[2])
  return {ARGV[1], ARGV[2], 1}
end
return {v, redis.call('HGET', KEYS[1], 'shards'), 0}`,
  ),
} as const;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Runs a script by SHA, loading it with EVAL if the server does not have it. */
export async function runScript(
  client: ScriptClient,
  s: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (keys.length !== s.keys) {
    throw new Error(`redis script ${s.name}: expected ${s.keys} keys, got ${keys.length}`);
  }
  try {
    return await client.call('evalsha', s.sha, s.keys, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.call('eval', s.lua, s.keys, ...keys, ...args);
  }
}
