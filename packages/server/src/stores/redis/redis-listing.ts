/**
 * Listing for the Redis store: a newest-first merge of the shards' `:created` zsets.
 * Members are `<createdAt, 16 digits>:<gid>` with score 0, so byte order is (createdAt,
 * gid) order and a cursor is just an exclusive BYLEX bound, valid in every shard.
 */
import type { ListPage, ListQuery, TransactionRecord } from '@accord/core';
import { isStuck } from '@accord/core';
import { decodeCursor, encodeCursor, pageSize, type CursorPosition } from '../common/cursor.js';
import type { RedisClientLike } from './redis-connection.js';
import {
  MAX_CREATED_AT,
  createdMember,
  createdPrefix,
  gidOfMember,
  type RedisKeys,
} from './redis-keys.js';
import { toHash, toRecord } from './redis-records.js';

/** Byte order, the order Redis sorts members in. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface ListBounds {
  readonly upper: string;
  readonly lower: string;
}

/** BYLEX bounds of a listing (newest first); undefined when nothing can match. */
function listBounds(query: ListQuery, cursor: CursorPosition | undefined): ListBounds | undefined {
  const since = Math.ceil(query.since ?? 0);
  const until = Math.floor(query.until ?? MAX_CREATED_AT);
  if (until < 0 || since > MAX_CREATED_AT || since > until) return undefined;
  let upper = until >= MAX_CREATED_AT ? '+' : `(${createdPrefix(until + 1)}`;
  if (cursor && cursor.createdAt <= until) {
    if (cursor.createdAt < 0) return undefined;
    upper = `(${createdMember(cursor.createdAt, cursor.gid)}`;
  }
  return { upper, lower: since <= 0 ? '-' : `[${createdPrefix(since)}` };
}

function matches(tx: TransactionRecord, q: ListQuery): boolean {
  return (
    (q.status === undefined || tx.status === q.status) &&
    (q.mode === undefined || tx.mode === q.mode) &&
    (q.parked === undefined || tx.parked === q.parked) &&
    (q.paused === undefined || tx.paused === q.paused) &&
    (q.gidPrefix === undefined || tx.gid.startsWith(q.gidPrefix)) &&
    Object.entries(q.labels ?? {}).every(([k, v]) => tx.labels[k] === v) &&
    (q.stuck === undefined || isStuck(tx, q.stuck.createdBefore) === q.stuck.is) &&
    (q.since === undefined || tx.createdAt >= q.since) &&
    (q.until === undefined || tx.createdAt <= q.until)
  );
}

/** Whether anything but the time range narrows the listing (entries are then skipped). */
function narrowed(q: ListQuery): boolean {
  return (
    q.status !== undefined ||
    q.mode !== undefined ||
    q.parked !== undefined ||
    q.paused !== undefined ||
    q.gidPrefix !== undefined ||
    Object.keys(q.labels ?? {}).length > 0 ||
    q.stuck !== undefined
  );
}

/**
 * One page of a listing. Records are read in chunks and filtered as they come, so memory
 * stays at a few chunks whatever the number of transactions; a selective filter (status,
 * mode, parked, paused, gid prefix, label, stuck) may scan many entries for one page
 * (there is no secondary index).
 */
export async function listPage(
  client: RedisClientLike,
  keys: RedisKeys,
  query: ListQuery,
): Promise<ListPage> {
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const limit = pageSize(query.limit);
  const bounds = listBounds(query, cursor);
  if (!bounds) return { items: [], nextCursor: null };
  const filtered = narrowed(query);
  const chunk = Math.min(Math.max(limit + 1, 32), 500);
  const merge = new ShardMerge(
    client,
    keys.allShards().map((s) => s.created),
    bounds,
    chunk,
  );
  const items: TransactionRecord[] = [];
  while (items.length <= limit) {
    const members = await merge.take(filtered ? chunk : limit + 1 - items.length);
    if (members.length === 0) break;
    const hashes = await Promise.all(
      members.map((m) => client.call('hgetall', keys.tx(gidOfMember(m)).rec)),
    );
    for (const reply of hashes) {
      const hash = toHash(reply);
      if (hash['gid'] === undefined) continue; // purged meanwhile, or an orphan entry
      const tx = toRecord(hash);
      if (matches(tx, query)) items.push(tx);
      if (items.length > limit) break;
    }
  }
  const page = items.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page, nextCursor: items.length > limit && last ? encodeCursor(last) : null };
}

/** One shard's position in the merge. */
interface ShardCursor {
  readonly key: string;
  upper: string;
  buffer: string[];
  at: number;
  exhausted: boolean;
}

/** Merges the shards' listing zsets, newest first, a chunk per shard at a time. */
class ShardMerge {
  private readonly cursors: ShardCursor[];

  constructor(
    private readonly client: RedisClientLike,
    zsets: readonly string[],
    private readonly bounds: ListBounds,
    private readonly chunk: number,
  ) {
    this.cursors = zsets.map((key) => ({
      key,
      upper: bounds.upper,
      buffer: [],
      at: 0,
      exhausted: false,
    }));
  }

  /** The next `n` members in listing order (fewer at the end). */
  async take(n: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < n) {
      const empty = this.cursors.filter((c) => !c.exhausted && c.at >= c.buffer.length);
      if (empty.length > 0) await Promise.all(empty.map((c) => this.fill(c)));
      let best: ShardCursor | undefined;
      let head: string | undefined;
      for (const c of this.cursors) {
        const candidate = c.buffer[c.at];
        if (candidate !== undefined && (head === undefined || compareBytes(candidate, head) > 0)) {
          best = c;
          head = candidate;
        }
      }
      if (!best || head === undefined) break;
      best.at += 1;
      out.push(head);
    }
    return out;
  }

  private async fill(c: ShardCursor): Promise<void> {
    const reply = await this.client.call(
      'zrange',
      c.key,
      c.upper,
      this.bounds.lower,
      'BYLEX',
      'REV',
      'LIMIT',
      0,
      this.chunk,
    );
    const members = Array.isArray(reply) ? reply.map(String) : [];
    c.buffer = members;
    c.at = 0;
    c.exhausted = members.length < this.chunk;
    const last = members[members.length - 1];
    if (last !== undefined) c.upper = `(${last}`;
  }
}
