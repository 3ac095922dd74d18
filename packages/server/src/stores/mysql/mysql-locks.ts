/** Row-lock statements of the MySQL/MariaDB store (see common/sql-row-locks.ts). */
import { placeholders, type SqlLockStatements } from '../common/sql-row-locks.js';

const COLUMNS = 'lock_key, gid, branch_id, acquired_at';

/** The MySQL statements, one positional parameter per key. */
export const MYSQL_LOCK_SQL: SqlLockStatements = {
  held: (keys) => [
    `SELECT ${COLUMNS} FROM accord_row_locks WHERE lock_key IN (${placeholders(keys.length)})
     ORDER BY lock_key FOR UPDATE`,
    [...keys],
  ],
  insert: (request, keys) => [
    `INSERT INTO accord_row_locks (${COLUMNS}) VALUES ${keys.map(() => '(?, ?, ?, ?)').join(', ')}`,
    keys.flatMap((key) => [key, request.gid, request.branchId, request.now]),
  ],
  releaseAll: (gid) => ['DELETE FROM accord_row_locks WHERE gid = ?', [gid]],
  releaseSome: (gid, keys) => [
    `DELETE FROM accord_row_locks WHERE gid = ? AND lock_key IN (${placeholders(keys.length)})`,
    [gid, ...keys],
  ],
  heldBy: (gid) => [
    `SELECT ${COLUMNS} FROM accord_row_locks WHERE gid = ? ORDER BY lock_key`,
    [gid],
  ],
};

/** Releases the locks of the transactions ended by a write batch. */
export function mysqlReleaseLocksOfMany(gids: readonly string[]): readonly [string, unknown[]] {
  return [`DELETE FROM accord_row_locks WHERE gid IN (${placeholders(gids.length)})`, [...gids]];
}
