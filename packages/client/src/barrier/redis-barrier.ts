/**
 * The barrier on Redis through ioredis (or anything with `eval`/`evalsha`). Redis has no
 * transaction to roll back, so the business effect is a Lua snippet run in the barrier's
 * own script: barrier check, business and barrier mark are one atomic EVAL.
 */
import { ValidationError, type FieldIssue } from '@accord/core';
import { BusinessFailure } from '../participant/failures.js';
import { barrierIdFor, countRun } from './barrier-ids.js';
import { originOf } from './decide.js';
import {
  CHECK_PREPARED,
  evalScript,
  guardedScript,
  INCR_BY_SNIPPET,
  type RedisLike,
} from './redis-scripts.js';
import {
  MSG_BARRIER,
  type BarrierContext,
  type BarrierResult,
  type BarrierRunOptions,
  type BarrierSkipReason,
  type PreparedStatus,
} from './types.js';

/** Options of a Redis barrier. */
export interface RedisBarrierOptions {
  /** Prefix of every barrier key (default `accord:barrier:`); no `{` or `}`. */
  prefix?: string;
  /**
   * Seconds a barrier key lives (default 7 days; 0: forever). A redelivery later than this
   * runs again, so keep it well beyond the coordinator's retry horizon. DTM keeps its Redis
   * barrier keys for a day.
   */
  ttlSeconds?: number;
}

/**
 * A business effect in Lua, run inside the barrier's script. Write `script` as the body of
 * a script of its own: it sees only `keys` as `KEYS` and `args` as `ARGV`. It may
 * `return refuse('why')` to make the run throw a `BusinessFailure` (409), and whatever
 * else it returns becomes the result's `value`.
 *
 * Redis does not roll a script back: the snippet must make every check before its first
 * write. Refusing, returning `redis.error_reply(…)` or raising an error leaves no barrier
 * key behind, but keeps any write made before it.
 *
 * @example
 * const debit: RedisScript = {
 *   script: `
 *     local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
 *     if balance < tonumber(ARGV[1]) then return refuse('insufficient funds') end
 *     return redis.call('DECRBY', KEYS[1], ARGV[1])`,
 *   keys: [`balance:{${ctx.gid}}`],
 *   args: [amount],
 * };
 */
export interface RedisScript {
  /** Lua source; keep it constant and pass values in `args` (each text is one cached script). */
  readonly script: string;
  /** Keys the snippet touches. On Redis Cluster they must hash to the gid's slot. */
  readonly keys?: readonly string[];
  readonly args?: readonly (string | number)[];
}

/** Bounds of {@link RedisBarrier.incrBy}. */
export interface RedisIncrByOptions extends BarrierRunOptions {
  /** Refuse (BusinessFailure) a change that would leave the counter below this. */
  min?: number;
  /** Refuse (BusinessFailure) a change that would leave the counter above this. */
  max?: number;
}

/** The barrier on Redis (see {@link redisBarrier}). */
export interface RedisBarrier {
  /** The key prefix. */
  readonly prefix: string;
  /** Seconds a barrier key lives (0: forever). */
  readonly ttlSeconds: number;
  /**
   * The barrier key of one op: `<prefix>{<gid>}:<branchId>:<op>:<barrierId>`. The `{gid}`
   * hash tag keeps a transaction's keys in one Cluster slot.
   */
  key(gid: string, branchId: string, op: string, barrierId: string): string;
  /**
   * Runs `business` at most once per (gid, branch, op), skipping empty compensations and
   * hanging tries/actions, all in one atomic script. Throws `BusinessFailure` when the
   * snippet refuses; errors of the snippet or of Redis propagate.
   */
  run<T = unknown>(
    redis: RedisLike,
    ctx: BarrierContext,
    business: RedisScript,
    options?: BarrierRunOptions,
  ): Promise<BarrierResult<T>>;
  /**
   * Guarded `INCRBY key delta`: the counter's new value when applied. A missing counter
   * counts as 0; one holding a non-integer is an error. `delta`, `min` and `max` must be
   * safe integers.
   */
  incrBy(
    redis: RedisLike,
    ctx: BarrierContext,
    key: string,
    delta: number,
    options?: RedisIncrByOptions,
  ): Promise<BarrierResult<number>>;
  /**
   * msg producer: the local "transaction" is one script that runs `business` and marks
   * message `gid` prepared. Throws (and changes nothing) when a check-back already
   * declared the message rolled back or it was already marked; `BusinessFailure` when the
   * snippet refuses. Resolves to the snippet's value.
   */
  msg<T = unknown>(redis: RedisLike, gid: string, business: RedisScript): Promise<T>;
  /** {@link RedisBarrier.msg} with a guarded `INCRBY`; resolves to the new value. */
  msgIncrBy(
    redis: RedisLike,
    gid: string,
    key: string,
    delta: number,
    options?: Pick<RedisIncrByOptions, 'min' | 'max'>,
  ): Promise<number>;
  /**
   * msg check-back: `committed` if the producer's script ran, else `rolledback`, after
   * which it never can. Never waits: a script is atomic, so it ran or it did not. The
   * `rollback` marker is as durable as Redis makes writes: with `appendfsync everysec` (or
   * no AOF) a crash may lose it, and a late producer could then still run; use
   * `appendfsync always` where that matters.
   */
  checkPrepared(redis: RedisLike, gid: string): Promise<PreparedStatus>;
}

const DEFAULTS = { prefix: 'accord:barrier:', ttlSeconds: 7 * 24 * 3600 };

function check(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues);
}

function checkKeyParts(gid: string, op: string, barrierId: string): void {
  const issues: FieldIssue[] = [];
  if (gid === '' || /[{}]/.test(gid)) {
    issues.push({ path: 'gid', message: 'must be non-empty, without { or }' });
  }
  // The key is read from the right: op and barrier id must not contain the separator.
  if (op.includes(':')) issues.push({ path: 'op', message: 'must not contain ":"' });
  if (barrierId.includes(':')) issues.push({ path: 'barrierId', message: 'must not contain ":"' });
  check(issues);
}

function incrArgs(delta: number, options: { min?: number; max?: number }): string[] {
  const issues: FieldIssue[] = [];
  const bounds = { delta, min: options.min, max: options.max };
  for (const [path, value] of Object.entries(bounds)) {
    if (value !== undefined && !Number.isSafeInteger(value)) {
      issues.push({ path, message: 'must be a safe integer' });
    }
  }
  check(issues);
  return [
    String(delta),
    options.min === undefined ? '' : String(options.min),
    options.max === undefined ? '' : String(options.max),
  ];
}

type Reply =
  | { kind: 'applied'; value: unknown }
  | { kind: 'skipped'; reason: BarrierSkipReason }
  | { kind: 'refused'; message: string };

type Outcome = Exclude<Reply, { kind: 'refused' }>;

function parseReply(reply: unknown): Reply {
  if (Array.isArray(reply)) {
    const [kind, detail] = reply as unknown[];
    if (kind === 'applied') return { kind, value: detail };
    if (kind === 'refused') return { kind, message: String(detail) };
    if (kind === 'skipped') return { kind, reason: detail as BarrierSkipReason };
  }
  throw new Error(`unexpected reply from the barrier script: ${JSON.stringify(reply)}`);
}

/**
 * The DTM-style sub-transaction barrier for Redis (ioredis), with the business effect in
 * the same Lua script, so barrier and business are atomic. Its keys live under `prefix`
 * with the hash tag `{gid}`; on Redis Cluster the business keys of a script must hash to
 * the same slot (carry the same `{gid}` tag), or Redis refuses the script (CROSSSLOT).
 *
 * @example
 * const barrier = redisBarrier();
 *
 * // in a participant route (ctx from accordHandler); a refusal throws BusinessFailure (409):
 * await barrier.incrBy(redis, ctx, `balance:{${ctx.gid}}`, -amount, { min: 0 });
 *
 * // msg producer and its check-back route:
 * await barrier.msgIncrBy(redis, gid, `balance:{${gid}}`, -amount, { min: 0 });
 * app.post('/accord/check', accordHandler(checkBackHandler((gid) => barrier.checkPrepared(redis, gid)), { secret }));
 */
export function redisBarrier(options: RedisBarrierOptions = {}): RedisBarrier {
  const { prefix, ttlSeconds } = {
    ...DEFAULTS,
    ...options,
  } satisfies Required<RedisBarrierOptions>;
  const issues: FieldIssue[] = [];
  if (/[{}]/.test(prefix)) issues.push({ path: 'prefix', message: 'must not contain { or }' });
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
    issues.push({ path: 'ttlSeconds', message: 'must be a non-negative integer' });
  }
  check(issues);

  const key = (gid: string, branchId: string, op: string, barrierId: string): string => {
    checkKeyParts(gid, op, barrierId);
    return `${prefix}{${gid}}:${branchId}:${op}:${barrierId}`;
  };
  const m = MSG_BARRIER;
  const msgKey = (gid: string): string => key(gid, m.branchId, m.op, m.barrierId);

  /** Runs `business` guarded by `barrierKeys` ([origin,] own), marking them with `reason`. */
  async function guarded(
    redis: RedisLike,
    barrierKeys: string[],
    reason: string,
    business: RedisScript,
  ): Promise<Outcome> {
    const keys = [...barrierKeys, ...(business.keys ?? [])];
    const args = [barrierKeys.length, reason, ttlSeconds, ...(business.args ?? [])];
    const reply = parseReply(await evalScript(redis, guardedScript(business.script), keys, args));
    if (reply.kind === 'refused') throw new BusinessFailure(reply.message);
    return reply;
  }

  async function run<T>(
    redis: RedisLike,
    ctx: BarrierContext,
    business: RedisScript,
    runOptions?: BarrierRunOptions,
  ): Promise<BarrierResult<T>> {
    const barrierId = barrierIdFor(ctx, runOptions);
    const origin = originOf(ctx.op);
    const own = key(ctx.gid, ctx.branchId, ctx.op, barrierId);
    const barrierKeys =
      origin === undefined ? [own] : [key(ctx.gid, ctx.branchId, origin, barrierId), own];
    const reply = await guarded(redis, barrierKeys, ctx.op, business);
    countRun(ctx, runOptions);
    return reply.kind === 'applied'
      ? { applied: true, value: reply.value as T }
      : { applied: false, reason: reply.reason };
  }

  async function msg<T>(redis: RedisLike, gid: string, business: RedisScript): Promise<T> {
    const reply = await guarded(redis, [msgKey(gid)], m.committed, business);
    if (reply.kind === 'applied') return reply.value as T;
    throw new Error(
      reply.reason === 'hanging'
        ? `message ${gid} was already declared rolled back by a check-back`
        : `message ${gid} was already prepared by an earlier local transaction`,
    );
  }

  return {
    prefix,
    ttlSeconds,
    key,
    run,
    incrBy: async (redis, ctx, counter, delta, incrOptions = {}) =>
      run<number>(
        redis,
        ctx,
        { script: INCR_BY_SNIPPET, keys: [counter], args: incrArgs(delta, incrOptions) },
        incrOptions,
      ),
    msg,
    msgIncrBy: async (redis, gid, counter, delta, incrOptions = {}) =>
      msg<number>(redis, gid, {
        script: INCR_BY_SNIPPET,
        keys: [counter],
        args: incrArgs(delta, incrOptions),
      }),
    async checkPrepared(redis, gid) {
      const reply = await evalScript(
        redis,
        CHECK_PREPARED,
        [msgKey(gid)],
        [1, m.rollback, ttlSeconds],
      );
      return reply === m.committed ? 'committed' : 'rolledback';
    },
  };
}
