/**
 * The Redis barrier's Lua, as data: one guarded script per business snippet (barrier and
 * business in one EVAL, so atomic), one check-back script, and EVALSHA with an EVAL
 * fallback.
 */
import { createHash } from 'node:crypto';

/**
 * What the barrier needs of a Redis client: ioredis's `Redis` and `Cluster` fit.
 *
 * @example
 * const redis: RedisLike = new Redis();
 */
export interface RedisLike {
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** A Lua script and its SHA-1, for EVALSHA. */
export interface LuaScript {
  readonly text: string;
  readonly sha: string;
}

/** Wraps Lua source for {@link evalScript}. */
export function luaScript(text: string): LuaScript {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

/** Runs `script` by its SHA, loading it with EVAL the first time a server lacks it. */
export async function evalScript(
  redis: RedisLike,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.text, keys.length, ...keys, ...args);
  }
}

/**
 * Sets a barrier key unless it exists, with the TTL of ARGV[3] (0: no expiry). Shared by
 * both scripts.
 */
const MARK = `
local ttl = tonumber(ARGV[3])
local function mark(key, value)
  if ttl > 0 then
    return redis.call('SET', key, value, 'NX', 'EX', ttl)
  end
  return redis.call('SET', key, value, 'NX')
end
`;

/**
 * The guarded script around a business snippet.
 *
 * KEYS: [origin key,] own key, business keys. ARGV: barrier key count (1 or 2), reason
 * (the op), TTL seconds, business args. The snippet runs as the body of
 * `business(KEYS, ARGV)` seeing only its own keys and args, and may `return refuse(msg)`.
 *
 * Replies `{'skipped', reason}`, `{'refused', message}` or `{'applied', value}`; an error
 * reply of the snippet is passed on. Barrier keys are written only when the snippet
 * returns normally (after its writes) or when nothing is to run (empty compensation), so
 * a refusal or an error leaves no barrier key behind.
 */
function guardedSource(snippet: string): string {
  return `-- accord barrier (guarded business)
${MARK}
local count = tonumber(ARGV[1])
local reason = ARGV[2]
local own = KEYS[count]
if count == 2 and mark(KEYS[1], reason) then
  mark(own, reason)
  return {'skipped', 'empty-compensation'}
end
local existing = redis.call('GET', own)
if existing then
  if existing == reason then return {'skipped', 'duplicate'} end
  return {'skipped', 'hanging'}
end
local refusal = {}
local function refuse(message)
  refusal.message = tostring(message or 'refused')
  return refusal
end
local function business(KEYS, ARGV)
${snippet}
end
local bkeys, bargs = {}, {}
for i = count + 1, #KEYS do bkeys[#bkeys + 1] = KEYS[i] end
for i = 4, #ARGV do bargs[#bargs + 1] = ARGV[i] end
local value = business(bkeys, bargs)
if value == refusal then return {'refused', refusal.message} end
if type(value) == 'table' and value.err then return value end
mark(own, reason)
return {'applied', value}
`;
}

/** Guarded scripts by snippet; bounded, since a snippet built per call would grow it. */
const guarded = new Map<string, LuaScript>();
const GUARDED_CACHE = 256;

/** The guarded script of a snippet (cached). */
export function guardedScript(snippet: string): LuaScript {
  let script = guarded.get(snippet);
  if (!script) {
    if (guarded.size >= GUARDED_CACHE) {
      const oldest = guarded.keys().next();
      if (oldest.done !== true) guarded.delete(oldest.value);
    }
    script = luaScript(guardedSource(snippet));
    guarded.set(snippet, script);
  }
  return script;
}

/**
 * msg check-back. KEYS: the msg key. ARGV: (unused), rollback reason, TTL seconds. Replies
 * the key's value, after setting it to the rollback reason if it was missing.
 */
export const CHECK_PREPARED = luaScript(`-- accord barrier (msg check-back)
${MARK}
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
mark(KEYS[1], ARGV[2])
return ARGV[2]
`);

/**
 * Counter change for `incrBy`. KEYS: the counter. ARGV: delta, min ('' for none), max.
 * A missing counter counts as 0, as for INCRBY.
 */
export const INCR_BY_SNIPPET = `
local current = redis.call('GET', KEYS[1])
local value = 0
if current then
  value = tonumber(current)
  if value == nil or value ~= math.floor(value) then
    return redis.error_reply('ERR accord barrier: ' .. KEYS[1] .. ' does not hold an integer')
  end
end
local after = value + tonumber(ARGV[1])
if ARGV[2] ~= '' and after < tonumber(ARGV[2]) then
  return refuse(KEYS[1] .. ' would fall below ' .. ARGV[2])
end
if ARGV[3] ~= '' and after > tonumber(ARGV[3]) then
  return refuse(KEYS[1] .. ' would exceed ' .. ARGV[3])
end
return redis.call('INCRBY', KEYS[1], ARGV[1])
`;
