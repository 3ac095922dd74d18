/** Row-lock statements of the PostgreSQL store (see common/sql-row-locks.ts). */
import type { SqlLockStatements } from '../common/sql-row-locks.js';

const COLUMNS = 'lock_key, gid, branch_id, acquired_at';

/** The PostgreSQL statements: key lists travel as one `text[]` parameter. */
export const POSTGRES_LOCK_SQL: SqlLockStatements = {
  held: (keys) => [
    `SELECT ${COLUMNS} FROM accord_row_locks WHERE lock_key = ANY($1::text[])
     ORDER BY lock_key FOR UPDATE`,
    [keys],
  ],
  insert: (request, keys) => [
    `INSERT INTO accord_row_locks (${COLUMNS})
     SELECT k, $2, $3, $4 FROM unnest($1::text[]) AS k`,
    [keys, request.gid, request.branchId, request.now],
  ],
  releaseAll: (gid) => ['DELETE FROM accord_row_locks WHERE gid = $1', [gid]],
  releaseSome: (gid, keys) => [
    'DELETE FROM accord_row_locks WHERE gid = $1 AND lock_key = ANY($2::text[])',
    [gid, keys],
  ],
  heldBy: (gid) => [
    `SELECT ${COLUMNS} FROM accord_row_locks WHERE gid = $1 ORDER BY lock_key`,
    [gid],
  ],
};

/** Releases the locks of the transactions ended by a write batch. */
export const POSTGRES_RELEASE_LOCKS_OF_MANY_SQL =
  'DELETE FROM accord_row_locks WHERE gid = ANY($1::text[])';
