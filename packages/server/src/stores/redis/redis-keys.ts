/**
 * Key naming of the Redis store. Two kinds of hash tag, so that Redis Cluster can spread
 * the data while every Lua script still touches a single slot:
 *
 * - per transaction, `{<prefix>tx:<gid>}`: `:rec` (hash, the record), `:ops` (hash, one
 *   JSON value per branch op), `:hist` (list, JSON attempts, oldest first);
 * - per index shard s in 0..shards-1, `{<prefix>ix:<s>}`: `:due` (zset gid → due score),
 *   `:created` (zset, all scores 0, member `<createdAt padded>:<gid>` for listing),
 *   `:done` (zset gid → finishedAt of terminal transactions, for retention), `:parked`
 *   (set of parked non-terminal gids), `:rev` (hash gid → revision last applied to this
 *   shard's indexes), `:intent:<gid>` (zset of in-flight mutations, see redis-store.ts);
 * - `{<prefix>meta}`: hash with the layout version and the shard count;
 * - per key-value namespace, `{<prefix>kv:<ns>}`: see redis-kv.ts;
 * - `{<prefix>locks}`: the global row locks, see redis-locks.ts.
 *
 * A transaction's index entries live in shard `shardOf(gid)` (FNV-1a of the gid's UTF-8
 * bytes, modulo the shard count), which is fixed when the prefix is first migrated.
 */

import type { Migration } from '../common/migration.js';

/** Version of the key layout, recorded in the meta hash by `migrate`. */
export const LAYOUT_VERSION = 1;

/** Width of the zero-padded `createdAt` in listing members (ms up to the year 318857). */
const CREATED_WIDTH = 16;
/** Largest `createdAt` a listing member can carry. */
export const MAX_CREATED_AT = 10 ** CREATED_WIDTH - 1;

/** Keys of one transaction; all in one hash slot. */
export interface TransactionKeys {
  readonly rec: string;
  readonly ops: string;
  readonly hist: string;
}

/** Keys of one index shard; all in one hash slot. */
export interface ShardKeys {
  readonly due: string;
  readonly created: string;
  readonly done: string;
  readonly parked: string;
  readonly rev: string;
  /** The in-flight mutations of one transaction of this shard. */
  intent(gid: string): string;
}

/**
 * Rejects prefixes that would break the hash tags: a `{` or `}` inside would end or
 * confuse the tag, so every key could land in one slot (or the tags would differ).
 */
export function validateKeyPrefix(prefix: string): string {
  if (/[{}]/.test(prefix)) {
    throw new Error(`redis store: key prefix "${prefix}" must not contain "{" or "}"`);
  }
  return prefix;
}

/**
 * A gid as it appears inside a hash tag: `}` would end the tag early and `%` is the
 * escape character, so both are percent-encoded (injective, so distinct gids keep
 * distinct keys).
 */
function tagSafe(gid: string): string {
  return gid.replace(/[%}]/g, (c) => (c === '%' ? '%25' : '%7D'));
}

/** 32-bit FNV-1a of the UTF-8 bytes: stable across processes and versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The listing member of a transaction: byte order = (createdAt, gid) order. */
export function createdMember(createdAt: number, gid: string): string {
  return `${String(createdAt).padStart(CREATED_WIDTH, '0')}:${gid}`;
}

/** The gid of a listing member. */
export function gidOfMember(member: string): string {
  return member.slice(CREATED_WIDTH + 1);
}

/** The `createdAt` prefix of listing members, as used in BYLEX bounds. */
export function createdPrefix(createdAt: number): string {
  return String(createdAt).padStart(CREATED_WIDTH, '0');
}

/** The key layout under one prefix with a given shard count. */
export class RedisKeys {
  readonly meta: string;
  private readonly shardKeys: ShardKeys[];

  constructor(
    readonly prefix: string,
    readonly shards: number,
  ) {
    validateKeyPrefix(prefix);
    if (!Number.isInteger(shards) || shards < 1 || shards > 1024) {
      throw new Error(`redis store: shard count must be an integer in 1..1024, got ${shards}`);
    }
    this.meta = `{${prefix}meta}`;
    this.shardKeys = Array.from({ length: shards }, (_, s) => {
      const tag = `{${prefix}ix:${s}}`;
      return {
        due: `${tag}:due`,
        created: `${tag}:created`,
        done: `${tag}:done`,
        parked: `${tag}:parked`,
        rev: `${tag}:rev`,
        intent: (gid: string) => `${tag}:intent:${gid}`,
      };
    });
  }

  /** The keys of one transaction. */
  tx(gid: string): TransactionKeys {
    const tag = `{${this.prefix}tx:${tagSafe(gid)}}`;
    return { rec: `${tag}:rec`, ops: `${tag}:ops`, hist: `${tag}:hist` };
  }

  /** The shard a transaction's index entries live in. */
  shardOf(gid: string): number {
    return fnv1a(gid) % this.shards;
  }

  /** The keys of shard `s`. */
  shard(s: number): ShardKeys {
    const keys = this.shardKeys[s];
    if (!keys) throw new Error(`redis store: no shard ${s}`);
    return keys;
  }

  /** Every shard, in order. */
  allShards(): readonly ShardKeys[] {
    return this.shardKeys;
  }
}

/**
 * What `accord migrate --print` shows for Redis: there is no schema, only a key layout
 * that `migrate` records (version and shard count) under the prefix.
 */
export const REDIS_MIGRATIONS: readonly Migration[] = [
  {
    version: LAYOUT_VERSION,
    name: 'key layout v1 (Redis has no schema; migrate records version and shard count)',
    sql: [
      '-- {<prefix>meta}                hash: version, shards',
      '-- {<prefix>tx:<gid>}:rec        hash: the transaction record (+ rev)',
      '-- {<prefix>tx:<gid>}:ops        hash: <branchId>:<op> -> op JSON',
      '-- {<prefix>tx:<gid>}:hist       list: attempt JSON, oldest first',
      '-- {<prefix>ix:<s>}:due          zset: gid -> max(nextAttemptAt, leaseUntil)',
      '-- {<prefix>ix:<s>}:created      zset: <createdAt:16 digits>:<gid> (listing, by lex)',
      '-- {<prefix>ix:<s>}:done         zset: gid -> finishedAt (terminal, retention)',
      '-- {<prefix>ix:<s>}:parked       set:  parked non-terminal gids',
      '-- {<prefix>ix:<s>}:rev          hash: gid -> revision applied to the indexes',
      '-- {<prefix>ix:<s>}:intent:<gid> zset: in-flight changes -> expiry',
      '-- {<prefix>kv:<ns>}:val         hash: key -> value JSON (key-value entries, added',
      '-- {<prefix>kv:<ns>}:ver         hash: key -> version      later without a layout',
      '-- {<prefix>kv:<ns>}:idx         zset: key, score 0        change: see redis-kv.ts)',
      '-- {<prefix>locks}:held          hash: lock key -> [gid, branchId, acquiredAt] (row',
      '-- {<prefix>locks}:gid:<gid>     set:  lock keys of a gid    locks, additive too)',
    ].join('\n'),
  },
];
