/**
 * `summarize` on the Redis store. There is no index by mode or status, so the live
 * (non-terminal) transactions are found through the shards' due zsets and parked sets,
 * which hold exactly the transactions work can still arise for, and their records are
 * read in chunks. Terminal transactions, however many, are never read.
 */
import type { LiveCount, StoreSummary } from '@accord/core';
import { isTerminal } from '@accord/core';
import type { RedisClientLike } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { toHash, toRecord } from './redis-records.js';

/** Records read at once. */
const CHUNK = 500;

/** Counts of the live transactions and the oldest unclaimed due one (see Store.summarize). */
export async function summarizeShards(
  client: RedisClientLike,
  keys: RedisKeys,
  now: number,
): Promise<StoreSummary> {
  const gids = new Set<string>();
  for (const shard of keys.allShards()) {
    const [due, parked] = await Promise.all([
      client.call('zrange', shard.due, 0, -1),
      client.call('smembers', shard.parked),
    ]);
    for (const gid of [...(due as string[]), ...(parked as string[])]) gids.add(gid);
  }
  const counts = new Map<string, LiveCount>();
  let oldestDueAt: number | null = null;
  const all = [...gids];
  for (let i = 0; i < all.length; i += CHUNK) {
    const replies = await Promise.all(
      all.slice(i, i + CHUNK).map((gid) => client.call('hgetall', keys.tx(gid).rec)),
    );
    for (const reply of replies) {
      const hash = toHash(reply);
      if (hash['gid'] === undefined) continue; // purged meanwhile
      const tx = toRecord(hash);
      if (isTerminal(tx.status)) continue;
      const key = `${tx.mode}/${tx.status}/${tx.parked}`;
      const seen = counts.get(key);
      counts.set(key, {
        mode: tx.mode,
        status: tx.status,
        parked: tx.parked,
        count: (seen?.count ?? 0) + 1,
      });
      const due = tx.nextAttemptAt;
      if (!tx.parked && due !== null && due <= now && tx.leaseUntil <= now) {
        oldestDueAt = oldestDueAt === null ? due : Math.min(oldestDueAt, due);
      }
    }
  }
  return { live: [...counts.values()], oldestDueAt };
}
