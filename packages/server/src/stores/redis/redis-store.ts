/**
 * The Redis store, for Redis and Redis Cluster (6.2 or later). Key layout: see
 * redis-keys.ts; scripts: redis-scripts.ts.
 *
 * A transaction's keys share one hash tag, so every change of a transaction is one
 * atomic, fenced Lua script on one slot. Its index entries (due queue, listing,
 * retention, parked set) live in one of N index shards, each with its own hash tag, so
 * Cluster spreads them too. A script cannot touch both slots, so every change runs in
 * up to three steps:
 *
 *   0. `begin` (shard, insert and write only): registers the change as in flight (an
 *      intent with a TTL) and LOWERS the due entry to a write-ahead score: the due time
 *      the record is about to get, or the change's own time if nothing will be due.
 *   1. the transaction script (transaction slot): applies the change, bumps the record's
 *      revision `rev` and answers the record as it now is.
 *   2. `settle` (shard): sets the shard's index entries from that record state.
 *
 * Invariants:
 *   I1 (no lost work). A transaction that is or will become due (non-terminal, not
 *       parked, nextAttemptAt set) has a due entry scored no later than
 *       max(nextAttemptAt, leaseUntil).
 *   I2 (repairable). If another index entry of a transaction is stale, its due entry is
 *       scored no later than the time of the change that made it stale, so claimDue
 *       visits it and the visit's settle repairs the entries.
 * Both hold because (a) step 0 lowers the due entry before step 1 changes the record;
 * (b) only step 2 raises or removes a due entry, and only when no other change of the
 * transaction is in flight (a live intent) and no newer revision was settled before
 * (`:rev`); lowering is always allowed, and the other indexes follow revision order;
 * (c) claims, renewals and purges only move the due time later or delete the record, so
 * they need no step 0: losing their step 2 leaves an early entry, which a visit fixes.
 * So a crash between steps leaves at worst an early due entry (and a stuck intent, which
 * expires after {@link INTENT_TTL_MS}; the next visit then settles the record's real
 * state). Assumption: no change spends longer than the intent TTL between its steps;
 * otherwise its late step 2 could raise an entry that a crashed concurrent change had
 * lowered (work delayed until the next visit, or lost if removed).
 *
 * Batches (`commit`) are NOT atomic across transactions: Redis has no
 * multi-slot transaction. Each item is atomic and fenced on its own, items of one gid
 * apply in order, and results come back per item; if the call rejects (connection
 * lost), some items may have been applied.
 *
 * Durability: a write resolves once Redis applied it in memory. It survives a crash only
 * with AOF and `appendfsync always`, and replication is asynchronous (a failover can lose
 * acknowledged writes), so `capabilities.durableCommits` is false unless the operator
 * asserts it with the `durableCommits` option.
 */
import { randomUUID } from 'node:crypto';
import type {
  AttemptRecord,
  BatchResult,
  InsertResult,
  HastenQuery,
  LeaseRef,
  ListPage,
  ListQuery,
  Store,
  StoreBatch,
  StoreCapabilities,
  StoreSummary,
  TransactionInsert,
  TransactionSnapshot,
  TransactionWrite,
} from '@accord/core';
import { SILENT_LOGGER, type StoreLogger } from '../common/logger.js';
import { byDueOrder } from '../common/rows.js';
import { createRedisClient, type RedisClientLike } from './redis-connection.js';
import { LAYOUT_VERSION, RedisKeys, createdMember, type ShardKeys } from './redis-keys.js';
import { hastenedOps, hastenInRounds, qualifies } from './redis-hasten.js';
import { listPage } from './redis-listing.js';
import { summarizeShards } from './redis-summary.js';
import {
  attemptValues,
  indexState,
  opFields,
  recordFields,
  toAttempts,
  toHash,
  toOps,
  toRecord,
  toSnapshot,
  writeAheadScore,
  writeChange,
  type IndexState,
} from './redis-records.js';
import { RedisKeyValues } from './redis-kv.js';
import { RedisRowLocks } from './redis-locks.js';
import { REDIS_SCRIPTS as SCRIPTS, runScript, type RedisScript } from './redis-scripts.js';

export { REDIS_MIGRATIONS } from './redis-keys.js';

/** How long an in-flight change blocks others from raising or removing its due entry. */
export const INTENT_TTL_MS = 60_000;
/** claimDue gives up after this many rounds of candidates that others took first. */
const MAX_CLAIM_ROUNDS = 32;

/** Points between the steps of a change where tests may inject a crash (by throwing). */
export type RedisFaultPoint = 'after-begin' | 'after-apply';

/** Options of {@link RedisStore}: `url` or `client`. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL; the store creates and closes its own client. */
  readonly url?: string | undefined;
  /** With `url`: the host is a seed node of a Redis Cluster. */
  readonly cluster?: boolean | undefined;
  /**
   * An ioredis `Redis` or `Cluster` the caller owns (and closes); with it, `url` and
   * `cluster` are ignored.
   */
  readonly client?: RedisClientLike | undefined;
  /** Prefix of every key (default `accord:`); no `{` or `}`. */
  readonly keyPrefix?: string | undefined;
  /** Index shards (default 16); fixed by the first `migrate` of a prefix. */
  readonly dueShards?: number | undefined;
  /** Assert that Redis fsyncs every write (AOF, `appendfsync always`). Default false. */
  readonly durableCommits?: boolean | undefined;
  readonly logger?: StoreLogger | undefined;
  /** Tests only: called between the steps of a change; throwing simulates a crash. */
  readonly faults?: ((point: RedisFaultPoint, gid: string) => void) | undefined;
}

const DEFAULTS = { keyPrefix: 'accord:', dueShards: 16 } as const;

type Reply = readonly unknown[];

function asReply(value: unknown): Reply {
  if (!Array.isArray(value)) throw new Error('redis store: unexpected script reply');
  return value;
}

/** [member, score] pairs of a WITHSCORES reply. */
function scored(reply: unknown): [string, number][] {
  const flat = Array.isArray(reply) ? reply : [];
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), Number(flat[i + 1])]);
  return out;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * {@link Store} on Redis or Redis Cluster through ioredis.
 *
 * @example
 * const store = new RedisStore({ url: 'redis://cache:6379', keyPrefix: 'accord:' });
 * await store.migrate();
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly capabilities: StoreCapabilities;
  readonly kv: RedisKeyValues;
  readonly locks: RedisRowLocks;
  private keys: RedisKeys;
  private readonly client: RedisClientLike;
  private readonly owned: boolean;
  private readonly shardsGiven: boolean;
  private readonly logger: StoreLogger;
  private readonly faults: RedisStoreOptions['faults'];
  private closing: Promise<void> | undefined;

  constructor(options: RedisStoreOptions) {
    this.logger = options.logger ?? SILENT_LOGGER;
    this.faults = options.faults;
    this.shardsGiven = options.dueShards !== undefined;
    this.keys = new RedisKeys(
      options.keyPrefix ?? DEFAULTS.keyPrefix,
      options.dueShards ?? DEFAULTS.dueShards,
    );
    if (options.client) {
      this.client = options.client;
      this.owned = false;
    } else if (options.url !== undefined) {
      this.client = createRedisClient(options.url, options.cluster ?? false, this.logger);
      this.owned = true;
    } else {
      throw new Error('redis store: give either `url` or `client`');
    }
    this.kv = new RedisKeyValues(() => this.live(), this.keys.prefix);
    this.locks = new RedisRowLocks(() => this.live(), this.keys.prefix);
    this.capabilities = {
      durableCommits: options.durableCommits ?? false,
      sharedByInstances: true,
      // Claimers never wait for each other: a candidate someone else took is skipped.
      skipLocked: true,
    };
  }

  async migrate(): Promise<void> {
    const reply = asReply(
      await this.run(SCRIPTS.meta, [this.keys.meta], [LAYOUT_VERSION, this.keys.shards]),
    );
    const version = Number(reply[0]);
    const shards = Number(reply[1]);
    if (!(version <= LAYOUT_VERSION)) {
      throw new Error(
        `redis store: prefix "${this.keys.prefix}" has key layout v${version}; this version of Accord knows v${LAYOUT_VERSION} at most`,
      );
    }
    if (shards !== this.keys.shards) {
      if (this.shardsGiven) {
        throw new Error(
          `redis store: prefix "${this.keys.prefix}" was set up with ${shards} shards, not ${this.keys.shards}; shards cannot change`,
        );
      }
      this.keys = new RedisKeys(this.keys.prefix, shards);
    }
    if (reply[2] === 1) {
      this.logger.info(
        { prefix: this.keys.prefix, shards, version },
        'redis store: key layout initialised',
      );
    }
  }

  async commit(batch: StoreBatch): Promise<BatchResult> {
    this.live();
    type Item = { insert: TransactionInsert } | { write: TransactionWrite };
    const items: Item[] = [
      ...batch.inserts.map((insert) => ({ insert })),
      ...batch.writes.map((write) => ({ write })),
    ];
    const results = await this.perGid<Item, InsertResult | boolean>(
      items,
      (item) => ('insert' in item ? item.insert.tx.gid : item.write.gid),
      (item) => ('insert' in item ? this.applyInsert(item.insert) : this.applyWrite(item.write)),
    );
    return {
      inserted: results.slice(0, batch.inserts.length) as InsertResult[],
      written: results.slice(batch.inserts.length) as boolean[],
    };
  }

  async get(gid: string): Promise<TransactionSnapshot | undefined> {
    const k = this.keys.tx(gid);
    const reply = asReply(await this.run(SCRIPTS.snapshot, [k.rec, k.ops], []));
    return toSnapshot(reply[0], reply[1]);
  }

  async history(gid: string): Promise<AttemptRecord[]> {
    return toAttempts(gid, await this.live().call('lrange', this.keys.tx(gid).hist, 0, -1));
  }

  async claim(
    gid: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<TransactionSnapshot | undefined> {
    this.live();
    return this.claimOne(gid, owner, now, now + leaseMs, false);
  }

  /**
   * Candidates come from every shard's due zset (score <= now), earliest first across
   * shards; each is claimed by the per-transaction script, which re-checks the record, so
   * stale entries and candidates other claimers took simply yield nothing (and are
   * settled). Rounds repeat with further candidates until `limit` or none are left.
   */
  async claimDue(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<TransactionSnapshot[]> {
    this.live();
    if (!(limit >= 1)) return [];
    const want = Math.trunc(limit);
    const shards = this.keys.allShards();
    const tried = new Set<string>();
    const triedIn = shards.map(() => 0);
    const claimed: TransactionSnapshot[] = [];
    for (let round = 0; round < MAX_CLAIM_ROUNDS && claimed.length < want; round += 1) {
      const need = want - claimed.length;
      const lists = await Promise.all(
        shards.map((s, i) => this.lowest(s.due, String(now), need + (triedIn[i] ?? 0))),
      );
      const candidates = lists
        .flatMap((list, shard) => list.map(([gid, score]) => ({ gid, score, shard })))
        .filter((c) => !tried.has(c.gid))
        .sort((a, b) => a.score - b.score || compareText(a.gid, b.gid))
        .slice(0, need);
      if (candidates.length === 0) break;
      for (const c of candidates) {
        tried.add(c.gid);
        triedIn[c.shard] = (triedIn[c.shard] ?? 0) + 1;
      }
      const results = await Promise.all(
        candidates.map((c) => this.claimOne(c.gid, owner, now, now + leaseMs, true)),
      );
      for (const r of results) if (r) claimed.push(r);
    }
    return claimed.sort((a, b) => byDueOrder(a.tx, b.tx));
  }

  async renew(leases: readonly LeaseRef[], owner: string, until: number): Promise<boolean[]> {
    this.live();
    return Promise.all(
      leases.map(async (lease) => {
        const k = this.keys.tx(lease.gid);
        const reply = asReply(
          await this.run(SCRIPTS.renew, [k.rec], [lease.fence, owner, String(until)]),
        );
        if (reply[0] !== -1) await this.settle(lease.gid, '', indexState(toHash(reply[1])));
        return reply[0] === 1;
      }),
    );
  }

  /** Newest first across the shards' listing zsets; see redis-listing.ts. */
  async list(query: ListQuery): Promise<ListPage> {
    return listPage(this.live(), this.keys, query);
  }

  /**
   * Candidates come from the shards' due zsets (scored above `laterThan`), earliest
   * first; each is re-read and changed by the `hasten` script only if its record is still
   * at the revision read. A named gid goes straight to its record.
   */
  async hasten(query: HastenQuery): Promise<number> {
    this.live();
    if (!(query.limit >= 1)) return 0;
    if (query.gid !== undefined) return (await this.hastenOne(query.gid, query)) ? 1 : 0;
    const shards = this.keys.allShards();
    return hastenInRounds(
      shards.length,
      Math.trunc(query.limit),
      async (i, count) => {
        const reply = await this.live().call(
          'zrange',
          shards[i]!.due,
          `(${query.laterThan}`,
          '+inf',
          'BYSCORE',
          'LIMIT',
          0,
          count,
          'WITHSCORES',
        );
        return scored(reply);
      },
      (gid) => this.hastenOne(gid, query),
    );
  }

  async summarize(now: number): Promise<StoreSummary> {
    return summarizeShards(this.live(), this.keys, now);
  }

  async countParked(): Promise<number> {
    const client = this.live();
    const counts = await Promise.all(
      this.keys.allShards().map((s) => client.call('scard', s.parked)),
    );
    return counts.reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /**
   * Takes the oldest `limit` entries (by finishedAt) across the shards' retention zsets,
   * then deletes each transaction whose record still says terminal and finished before
   * the cut-off. Concurrent purgers may pick the same victims; each deletion happens once.
   */
  async purgeTerminal(finishedBefore: number, limit: number): Promise<number> {
    this.live();
    if (!(limit >= 1)) return 0;
    const n = Math.trunc(limit);
    const lists = await Promise.all(
      this.keys.allShards().map((s) => this.lowest(s.done, `(${finishedBefore}`, n)),
    );
    const victims = lists
      .flat()
      .sort((a, b) => a[1] - b[1] || compareText(a[0], b[0]))
      .slice(0, n);
    const deleted = await Promise.all(victims.map(([gid]) => this.purgeOne(gid, finishedBefore)));
    return deleted.filter(Boolean).length;
  }

  async ping(): Promise<void> {
    await this.live().call('ping');
  }

  /** Closes the client the store created; a client passed in is left to its owner. */
  close(): Promise<void> {
    this.closing ??= this.owned
      ? this.client.quit().then(
          () => undefined,
          () => this.client.disconnect(),
        )
      : Promise.resolve();
    return this.closing;
  }

  /** The client, or a rejection once closed. */
  private live(): RedisClientLike {
    if (this.closing) throw new Error('redis store: closed');
    return this.client;
  }

  private run(s: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.live(), s, keys, args);
  }

  /** Up to `count` [member, score] pairs scored up to `max` (`(x`: below x), lowest first. */
  private async lowest(key: string, max: string, count: number): Promise<[string, number][]> {
    const reply = await this.live().call(
      'zrange',
      key,
      '-inf',
      max,
      'BYSCORE',
      'LIMIT',
      0,
      count,
      'WITHSCORES',
    );
    return scored(reply);
  }

  private fault(point: RedisFaultPoint, gid: string): void {
    this.faults?.(point, gid);
  }

  /** Runs `work` per item: one gid's items in order, different gids concurrently. */
  private perGid<I, R>(
    items: readonly I[],
    gidOf: (item: I) => string,
    work: (item: I) => Promise<R>,
  ): Promise<R[]> {
    const tails = new Map<string, Promise<unknown>>();
    return Promise.all(
      items.map((item) => {
        const gid = gidOf(item);
        const run = (tails.get(gid) ?? Promise.resolve()).then(() => work(item));
        tails.set(gid, run);
        return run;
      }),
    );
  }

  /** Step 0 of an insert or write; returns the intent id. */
  private async begin(gid: string, score: string): Promise<string> {
    const id = randomUUID();
    const shard = this.shardOf(gid);
    await this.run(SCRIPTS.begin, [shard.intent(gid), shard.due], [gid, id, INTENT_TTL_MS, score]);
    this.fault('after-begin', gid);
    return id;
  }

  /**
   * Step 2: sets the shard's index entries from a record state ('gone': no record). A
   * failure is logged, not thrown: the change itself is done, and the entries it leaves
   * are repaired by a later visit (invariant I2).
   */
  private async settle(
    gid: string,
    intent: string,
    state: IndexState | 'gone',
    purgedMember = '',
  ): Promise<void> {
    const s = this.shardOf(gid);
    const keys = [s.intent(gid), s.due, s.parked, s.done, s.created, s.rev];
    const args =
      state === 'gone'
        ? [gid, intent, '0', '0', '', '0', '', '', purgedMember]
        : [
            gid,
            intent,
            state.rev,
            '1',
            state.due,
            state.parked ? '1' : '0',
            state.done,
            state.created,
            '',
          ];
    try {
      await this.run(SCRIPTS.settle, keys, args);
    } catch (error) {
      this.logger.warn(
        { gid, err: error instanceof Error ? error.message : String(error) },
        'redis store: index update failed; a later visit repairs it',
      );
    }
  }

  private shardOf(gid: string): ShardKeys {
    return this.keys.shard(this.keys.shardOf(gid));
  }

  private async applyInsert({ tx, ops }: TransactionInsert): Promise<InsertResult> {
    const fields = recordFields(tx);
    const intent = await this.begin(tx.gid, writeAheadScore(tx, tx.leaseUntil));
    const k = this.keys.tx(tx.gid);
    const reply = asReply(
      await this.run(
        SCRIPTS.insert,
        [k.rec, k.ops, k.hist],
        [fields.length / 2, ...fields, ...opFields(ops)],
      ),
    );
    this.fault('after-apply', tx.gid);
    const hash = toHash(reply[1]);
    await this.settle(tx.gid, intent, indexState(hash));
    if (reply[0] === 1) return { inserted: true };
    return { inserted: false, existing: { tx: toRecord(hash), ops: toOps(reply[2]) } };
  }

  private async applyWrite(w: TransactionWrite): Promise<boolean> {
    const change = writeChange(w);
    const ops = opFields(w.ops);
    const intent = await this.begin(w.gid, writeAheadScore(w.tx));
    const k = this.keys.tx(w.gid);
    const reply = asReply(
      await this.run(
        SCRIPTS.write,
        [k.rec, k.ops, k.hist],
        [
          w.fence,
          w.release ? '1' : '0',
          change.set.length / 2,
          ...change.set,
          change.del.length,
          ...change.del,
          ops.length / 2,
          ...ops,
          ...attemptValues(w.attempts),
        ],
      ),
    );
    this.fault('after-apply', w.gid);
    await this.settle(w.gid, intent, reply[0] === -1 ? 'gone' : indexState(toHash(reply[1])));
    // Another slot: released after the write; a crash before leaves them to retention.
    if (reply[0] === 1 && w.releaseLocks) await this.locks.release(w.gid);
    return reply[0] === 1;
  }

  private async claimOne(
    gid: string,
    owner: string,
    now: number,
    until: number,
    dueOnly: boolean,
  ): Promise<TransactionSnapshot | undefined> {
    const k = this.keys.tx(gid);
    const reply = asReply(
      await this.run(
        SCRIPTS.claim,
        [k.rec, k.ops],
        [owner, String(now), String(until), dueOnly ? '1' : '0'],
      ),
    );
    this.fault('after-apply', gid);
    await this.settle(gid, '', reply[0] === -1 ? 'gone' : indexState(toHash(reply[1])));
    return reply[0] === 1 ? toSnapshot(reply[1], reply[2]) : undefined;
  }

  private async hastenOne(gid: string, query: HastenQuery): Promise<boolean> {
    const k = this.keys.tx(gid);
    const read = asReply(await this.run(SCRIPTS.snapshot, [k.rec, k.ops], []));
    const snapshot = toSnapshot(read[0], read[1]);
    if (!snapshot || !qualifies(snapshot.tx, query)) return false;
    const ops = opFields(hastenedOps(snapshot.ops, query.now));
    const intent = await this.begin(gid, String(query.now));
    const rev = toHash(read[0])['rev'] ?? '0';
    const reply = asReply(
      await this.run(SCRIPTS.hasten, [k.rec, k.ops], [rev, String(query.now), ...ops]),
    );
    this.fault('after-apply', gid);
    await this.settle(gid, intent, reply[0] === -1 ? 'gone' : indexState(toHash(reply[1])));
    return reply[0] === 1;
  }

  private async purgeOne(gid: string, finishedBefore: number): Promise<boolean> {
    const k = this.keys.tx(gid);
    const reply = asReply(
      await this.run(SCRIPTS.purge, [k.rec, k.ops, k.hist], [String(finishedBefore)]),
    );
    if (reply[0] === 1) {
      await this.settle(gid, '', 'gone', createdMember(Number(reply[1]), gid));
      await this.locks.release(gid);
      return true;
    }
    await this.settle(gid, '', reply[0] === -1 ? 'gone' : indexState(toHash(reply[1])));
    return false;
  }
}
