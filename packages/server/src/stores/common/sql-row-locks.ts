/**
 * Global row locks on a SQL server (PostgreSQL, MySQL/MariaDB, SQLite): table
 * `accord_row_locks (lock_key PRIMARY KEY, gid, branch_id, acquired_at)`, its gid a
 * foreign key of the transaction (deleted with it on purge).
 *
 * An acquisition is one store transaction: read the requested keys that exist, locking
 * them; stop at the first one another transaction holds; insert the missing ones. Two
 * acquisitions racing for a key that did not exist both miss it and both insert: the
 * primary key lets one through and fails the other, whose whole transaction is rolled
 * back and run again, and then finds the winner's row. So a key has one holder, and a
 * request takes all of its keys or none.
 */
import {
  normalizeLockKeys,
  type LockRequest,
  type LockResult,
  type RowLock,
  type RowLockStore,
} from '@accord/core';
import type { Row } from './rows.js';

/** One statement with its parameters. */
export type Statement = readonly [sql: string, params: unknown[]];

/** Runs one statement: the rows it returned and how many it changed. */
export type SqlRunner = (
  sql: string,
  params: unknown[],
) => Promise<{ rows: Row[]; changed: number }>;

/**
 * A backend's statements. Rows read carry `lock_key`, `gid`, `branch_id`, `acquired_at`;
 * `held` locks the rows it reads (`FOR UPDATE` where the backend has it).
 */
export interface SqlLockStatements {
  held(keys: readonly string[]): Statement;
  insert(request: LockRequest, keys: readonly string[]): Statement;
  releaseAll(gid: string): Statement;
  releaseSome(gid: string, keys: readonly string[]): Statement;
  heldBy(gid: string): Statement;
}

/** What {@link SqlRowLocks} runs on. */
export interface SqlLockBackend {
  readonly statements: SqlLockStatements;
  /** Runs `work` in one store transaction; rejects (rolled back) when `work` does. */
  transaction<T>(work: (run: SqlRunner) => Promise<T>): Promise<T>;
  /** Runs one statement on its own. */
  readonly run: SqlRunner;
  /** An insert failed on an existing primary key (a concurrent acquisition won). */
  isDuplicate(error: unknown): boolean;
}

/** Rounds an acquisition may lose to concurrent inserts before giving up. */
const MAX_ROUNDS = 8;

/** A lock from its row (BIGINT may come back as text, keys as bytes). */
export function toRowLock(row: Row): RowLock {
  const acquiredAt = Number(row['acquired_at']);
  if (!Number.isSafeInteger(acquiredAt)) throw new Error('row locks: bad acquired_at');
  return {
    key: String(row['lock_key']),
    gid: String(row['gid']),
    branchId: String(row['branch_id']),
    acquiredAt,
  };
}

/** {@link RowLockStore} over a SQL backend. */
export class SqlRowLocks implements RowLockStore {
  constructor(private readonly backend: SqlLockBackend) {}

  async acquire(request: LockRequest): Promise<LockResult> {
    const keys = normalizeLockKeys(request.keys);
    if (keys.length === 0) return { acquired: true, added: [] };
    const { statements: sql } = this.backend;
    for (let round = 1; ; round += 1) {
      try {
        return await this.backend.transaction(async (run) => {
          const held = (await run(...sql.held(keys))).rows.map(toRowLock);
          const foreign = held.find((lock) => lock.gid !== request.gid);
          if (foreign) return { acquired: false, conflict: foreign };
          const mine = new Set(held.map((lock) => lock.key));
          const missing = keys.filter((key) => !mine.has(key));
          if (missing.length > 0) await run(...sql.insert(request, missing));
          return { acquired: true, added: missing };
        });
      } catch (error) {
        if (!this.backend.isDuplicate(error) || round >= MAX_ROUNDS) throw error;
      }
    }
  }

  async release(gid: string, keys?: readonly string[]): Promise<number> {
    const { statements: sql } = this.backend;
    if (keys !== undefined && keys.length === 0) return 0;
    const statement =
      keys === undefined ? sql.releaseAll(gid) : sql.releaseSome(gid, normalizeLockKeys(keys));
    return (await this.backend.run(...statement)).changed;
  }

  async heldBy(gid: string): Promise<RowLock[]> {
    return (await this.backend.run(...this.backend.statements.heldBy(gid))).rows.map(toRowLock);
  }
}

/** `?, ?, ?` for positional parameters. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** The transactions whose applied write ends them holding row locks (to release in the same commit). */
export function gidsReleasingLocks(
  writes: readonly { readonly gid: string; readonly releaseLocks?: boolean }[],
  applied: readonly boolean[],
): string[] {
  return [
    ...new Set(writes.filter((w, i) => applied[i] === true && w.releaseLocks).map((w) => w.gid)),
  ];
}
