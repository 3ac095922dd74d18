/**
 * Row locks of the SQLite store (table `accord_row_locks`). An acquisition is one
 * `BEGIN IMMEDIATE` transaction: better-sqlite3 runs it to completion before any other
 * JavaScript, and SQLite's write lock covers other processes, so reading the held keys
 * and inserting the missing ones cannot interleave with another acquisition.
 */
import type Database from 'better-sqlite3';
import {
  normalizeLockKeys,
  type LockRequest,
  type LockResult,
  type RowLock,
  type RowLockStore,
} from '@accord/core';
import { toRowLock } from '../common/sql-row-locks.js';
import type { Row } from '../common/rows.js';

const COLUMNS = 'lock_key, gid, branch_id, acquired_at';

/** The statements of the row locks; key lists travel as one JSON array. */
export const SQLITE_LOCK_SQL = {
  held: `SELECT ${COLUMNS} FROM accord_row_locks
WHERE lock_key IN (SELECT value FROM json_each(@keys)) ORDER BY lock_key`,
  insert: `INSERT INTO accord_row_locks (${COLUMNS}) VALUES (@key, @gid, @branch, @at)`,
  releaseAll: `DELETE FROM accord_row_locks WHERE gid = @gid`,
  releaseSome: `DELETE FROM accord_row_locks
WHERE gid = @gid AND lock_key IN (SELECT value FROM json_each(@keys))`,
  heldBy: `SELECT ${COLUMNS} FROM accord_row_locks WHERE gid = @gid ORDER BY lock_key`,
} as const;

/** {@link RowLockStore} on the SQLite store's database. */
export class SqliteRowLocks implements RowLockStore {
  constructor(
    private readonly db: Database.Database,
    private readonly stmt: (sql: string) => Database.Statement,
  ) {}

  async acquire(request: LockRequest): Promise<LockResult> {
    const keys = normalizeLockKeys(request.keys);
    if (keys.length === 0) return { acquired: true, added: [] };
    return this.db
      .transaction((): LockResult => {
        const held = (
          this.stmt(SQLITE_LOCK_SQL.held).all({ keys: JSON.stringify(keys) }) as Row[]
        ).map(toRowLock);
        const foreign = held.find((lock) => lock.gid !== request.gid);
        if (foreign) return { acquired: false, conflict: foreign };
        const mine = new Set(held.map((lock) => lock.key));
        const missing = keys.filter((key) => !mine.has(key));
        const insert = this.stmt(SQLITE_LOCK_SQL.insert);
        for (const key of missing) {
          insert.run({ key, gid: request.gid, branch: request.branchId, at: request.now });
        }
        return { acquired: true, added: missing };
      })
      .immediate();
  }

  async release(gid: string, keys?: readonly string[]): Promise<number> {
    if (keys === undefined) return this.stmt(SQLITE_LOCK_SQL.releaseAll).run({ gid }).changes;
    if (keys.length === 0) return 0;
    const list = JSON.stringify(normalizeLockKeys(keys));
    return this.stmt(SQLITE_LOCK_SQL.releaseSome).run({ gid, keys: list }).changes;
  }

  async heldBy(gid: string): Promise<RowLock[]> {
    return (this.stmt(SQLITE_LOCK_SQL.heldBy).all({ gid }) as Row[]).map(toRowLock);
  }

  /** Inside a write transaction: releases every lock of the transaction the write ended. */
  releaseWithin(gid: string): void {
    this.stmt(SQLITE_LOCK_SQL.releaseAll).run({ gid });
  }
}
