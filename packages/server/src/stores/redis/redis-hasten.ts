/**
 * `hasten` on the Redis store: which transactions qualify, and how candidates are taken
 * from the shards' due zsets. The change of one transaction itself runs through the
 * store's three steps (see redis-store.ts), with the `hasten` script as step 1.
 */
import type { BranchOp, HastenQuery, TransactionRecord } from '@accord/core';
import { isTerminal } from '@accord/core';

/** Whether the query selects this transaction (leaving the limit aside). */
export function qualifies(tx: TransactionRecord, query: HastenQuery): boolean {
  return (
    !isTerminal(tx.status) &&
    !tx.parked &&
    !tx.paused &&
    tx.nextAttemptAt !== null &&
    tx.nextAttemptAt > query.laterThan &&
    tx.leaseUntil <= query.now &&
    (query.gid === undefined || tx.gid === query.gid)
  );
}

/** The pending ops whose retry time is later than `now`, moved to `now`. */
export function hastenedOps(ops: readonly BranchOp[], now: number): BranchOp[] {
  return ops
    .filter((op) => op.status === 'pending' && op.nextAttemptAt > now)
    .map((op) => ({ ...op, nextAttemptAt: now }));
}

/** How many rounds of candidates are tried before giving up on reaching the limit. */
const MAX_ROUNDS = 32;

/**
 * Hastens up to `limit` transactions, earliest due score first across the shards.
 * `candidates(shard, count)` answers the lowest [gid, score] entries of a shard above
 * the query's `laterThan`; `one(gid)` re-reads the record and hastens it if it still
 * qualifies. Entries that did not qualify are not tried again.
 */
export async function hastenInRounds(
  shards: number,
  limit: number,
  candidates: (shard: number, count: number) => Promise<[string, number][]>,
  one: (gid: string) => Promise<boolean>,
): Promise<number> {
  const tried = new Set<string>();
  const triedIn = new Array<number>(shards).fill(0);
  let changed = 0;
  for (let round = 0; round < MAX_ROUNDS && changed < limit; round += 1) {
    const need = limit - changed;
    const lists = await Promise.all(triedIn.map((n, shard) => candidates(shard, need + n)));
    const next = lists
      .flatMap((list, shard) => list.map(([gid, score]) => ({ gid, score, shard })))
      .filter((c) => !tried.has(c.gid))
      .sort((a, b) => a.score - b.score || (a.gid < b.gid ? -1 : a.gid > b.gid ? 1 : 0))
      .slice(0, need);
    if (next.length === 0) break;
    for (const c of next) {
      tried.add(c.gid);
      triedIn[c.shard] = (triedIn[c.shard] ?? 0) + 1;
    }
    const results = await Promise.all(next.map((c) => one(c.gid)));
    changed += results.filter(Boolean).length;
  }
  return changed;
}
