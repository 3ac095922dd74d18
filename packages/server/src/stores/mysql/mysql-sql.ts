/**
 * Every statement of the MySQL/MariaDB store, as data. Parameters are positional (`?`)
 * and formatted by the driver: an array becomes a list (`IN (?)`), an array of arrays a
 * list of rows (`VALUES ?`). Booleans are bound as TRUE/FALSE and JSON as text.
 *
 * Neither MySQL nor MariaDB has `UPDATE ... RETURNING`, so a claim is an UPDATE followed
 * by a read in the same transaction.
 */

import type { AttemptColumns, BranchOpColumns, TransactionColumns } from '../common/rows.js';

import type { ListDialect } from '../common/list-sql.js';

const NOT_TERMINAL = `status NOT IN ('succeeded', 'failed')`;

/** Columns of a transaction row, in the order the insert parameters use. */
export const TX_COLUMNS = [
  'gid',
  'mode',
  'status',
  'options',
  'check_url',
  'fingerprint',
  'reason',
  'created_at',
  'updated_at',
  'finished_at',
  'deadline_at',
  'next_attempt_at',
  'parked',
  'lease_owner',
  'lease_until',
  'fence',
  'paused',
  'labels',
] as const satisfies readonly (keyof TransactionColumns)[];

/** Columns of an attempt row besides the gid (and the generated id), in parameter order. */
export const ATTEMPT_COLUMNS = [
  'branch_id',
  'op',
  'attempt',
  'started_at',
  'finished_at',
  'outcome',
  'http_status',
  'message',
  'actor',
] as const satisfies readonly (keyof AttemptColumns)[];

/** Columns of a branch op row besides the gid, in the order the op parameters use. */
export const OP_COLUMNS = [
  'branch_id',
  'op',
  'url',
  'payload',
  'seq',
  'depends_on',
  'max_attempts',
  'status',
  'attempts',
  'failures',
  'next_attempt_at',
  'last_error_status',
  'last_error_message',
  'last_error_at',
  'updated_at',
] as const satisfies readonly (keyof BranchOpColumns)[];

/** Prefix of the op columns in a snapshot row (a transaction joined to its ops). */
export const OP_PREFIX = 'op_';

const OP_COLUMN_LIST = OP_COLUMNS.join(', ');
const OP_UPDATES = OP_COLUMNS.filter((c) => c !== 'branch_id' && c !== 'op')
  .map((c) => `${c} = VALUES(${c})`)
  .join(', ');
const OP_SELECT = OP_COLUMNS.map((c) => `o.${c} AS ${OP_PREFIX}${c}`).join(', ');

/**
 * Session settings of every connection: READ COMMITTED (like PostgreSQL: no gap locks,
 * rows that do not match a locking read are unlocked at once), and a fixed sql_mode:
 * strict (too long a value fails rather than being cut) and without NO_BACKSLASH_ESCAPES,
 * which the driver's escaping of parameters relies on.
 */
export const MYSQL_SESSION_SQL = [
  `SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED`,
  `SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'`,
] as const;

/** How MySQL and MariaDB write the parts of a listing that differ between backends. */
export const MYSQL_LIST_DIALECT: ListDialect = {
  placeholder: () => '?',
  bool: (value) => value,
  // As bytes: utf8mb4_bin pads with spaces, so 'a' would start with 'a '.
  gidStartsWith: (p, prefix) =>
    `CAST(LEFT(t.gid, CHAR_LENGTH(${p(prefix)})) AS BINARY) = CAST(${p(prefix)} AS BINARY)`,
  hasLabel: (p, key, value) => `JSON_CONTAINS(t.labels, JSON_OBJECT(${p(key)}, ${p(value)}))`,
  // Written out: MySQL does not use an index for a row comparison.
  before: (p, c) =>
    `(t.created_at < ${p(c.createdAt)} OR (t.created_at = ${p(c.createdAt)} AND t.gid < ${p(c.gid)}))`,
  int: (placeholder) => placeholder,
};

/** The SQL of the MySQL/MariaDB store. */
export const MYSQL_SQL = {
  begin: `START TRANSACTION`,
  commit: `COMMIT`,
  rollback: `ROLLBACK`,
  appliedMigrations: `SELECT version FROM accord_migrations ORDER BY version`,
  recordMigration: `INSERT INTO accord_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
  ping: `SELECT 1 AS ok`,

  /** {@link TX_COLUMNS}. A taken gid fails with ER_DUP_ENTRY (the statement only). */
  insertTransaction: `
INSERT INTO accord_transactions (${TX_COLUMNS.join(', ')})
VALUES (${TX_COLUMNS.map(() => '?').join(', ')})`,

  /** One parameter: rows of (gid, ...{@link OP_COLUMNS}). Inserts or replaces each op. */
  upsertOps: `
INSERT INTO accord_branch_ops (gid, ${OP_COLUMN_LIST})
VALUES ?
ON DUPLICATE KEY UPDATE ${OP_UPDATES}`,

  /** One parameter: rows of (gid, ...{@link ATTEMPT_COLUMNS}). */
  insertAttempts: `
INSERT INTO accord_attempts (gid, ${ATTEMPT_COLUMNS.join(', ')})
VALUES ?`,

  /**
   * Fenced update of the mutable fields: 8 field values, release twice, gid, fence. The
   * connection reports found rows (CLIENT_FOUND_ROWS), so a write that changes no value
   * still counts as applied.
   */
  updateTransaction: `
UPDATE accord_transactions SET
  status = ?, reason = ?, updated_at = ?, finished_at = ?, deadline_at = ?,
  next_attempt_at = ?, parked = ?, paused = ?,
  lease_owner = IF(?, NULL, lease_owner),
  lease_until = IF(?, 0, lease_until)
WHERE gid = ? AND fence = ?`,

  /**
   * Transactions (list of gids) joined to their ops, one row per op (one row with null op
   * columns when it has none), in snapshot order: one statement, one consistent read.
   */
  selectSnapshots: `
SELECT t.*, ${OP_SELECT}
FROM accord_transactions t
LEFT JOIN accord_branch_ops o ON o.gid = t.gid
WHERE t.gid IN (?)
ORDER BY t.gid, o.seq, o.branch_id, o.op`,

  selectHistory: `SELECT * FROM accord_attempts WHERE gid = ? ORDER BY started_at, id`,

  /** Owner, lease expiry, gid, now. */
  claim: `
UPDATE accord_transactions
SET lease_owner = ?, lease_until = ?, fence = fence + 1
WHERE gid = ? AND ${NOT_TERMINAL} AND lease_until <= ?`,

  /** Now, now, limit. Locks the due rows; rows another claimer holds are skipped. */
  lockDue: `
SELECT gid FROM accord_transactions
WHERE ${NOT_TERMINAL} AND parked = FALSE AND paused = FALSE AND next_attempt_at <= ?
  AND lease_until <= ?
ORDER BY next_attempt_at, gid
LIMIT ?
FOR UPDATE SKIP LOCKED`,

  /** Owner, lease expiry, gids (already locked by {@link MYSQL_SQL.lockDue}). */
  claimLocked: `
UPDATE accord_transactions
SET lease_owner = ?, lease_until = ?, fence = fence + 1
WHERE gid IN (?)`,

  /** Now, later-than, gid or null, gid or null, limit. Locks waiting transactions to hasten. */
  lockWaiting: `
SELECT gid FROM accord_transactions
WHERE ${NOT_TERMINAL} AND parked = FALSE AND paused = FALSE AND next_attempt_at > ?
  AND lease_until <= ?
  AND (? IS NULL OR gid = ?)
ORDER BY next_attempt_at, gid
LIMIT ?
FOR UPDATE SKIP LOCKED`,

  /** Now, gids (locked by {@link MYSQL_SQL.lockWaiting}). */
  hastenLocked: `UPDATE accord_transactions SET next_attempt_at = ? WHERE gid IN (?)`,

  /** Now, gids, now. The pending ops of hastened transactions. */
  hastenOps: `
UPDATE accord_branch_ops SET next_attempt_at = ?
WHERE gid IN (?) AND status = 'pending' AND next_attempt_at > ?`,

  /** Gids, owner. Locks the leases of `owner` among the gids, to renew the right fences. */
  lockLeases: `
SELECT gid, fence FROM accord_transactions
WHERE gid IN (?) AND lease_owner = ?
FOR UPDATE`,

  /** New expiry, gids (locked by {@link MYSQL_SQL.lockLeases}). */
  renewLocked: `UPDATE accord_transactions SET lease_until = ? WHERE gid IN (?)`,

  countParked: `
SELECT COUNT(*) AS n FROM accord_transactions WHERE ${NOT_TERMINAL} AND parked = TRUE`,

  countLive: `
SELECT mode, status, parked, COUNT(*) AS n FROM accord_transactions
WHERE ${NOT_TERMINAL} GROUP BY mode, status, parked`,

  /** now, now. */
  oldestDue: `
SELECT MIN(next_attempt_at) AS at FROM accord_transactions
WHERE ${NOT_TERMINAL} AND parked = FALSE AND next_attempt_at <= ? AND lease_until <= ?`,

  /**
   * Finished before, limit. MySQL cannot `DELETE ... WHERE gid IN (SELECT ... LIMIT)`, so
   * the gids are locked first (skipping rows another purger holds), then deleted.
   */
  lockPurgeable: `
SELECT gid FROM accord_transactions
WHERE status IN ('succeeded', 'failed') AND finished_at < ?
ORDER BY finished_at, gid
LIMIT ?
FOR UPDATE SKIP LOCKED`,

  /** Gids; ops and attempts go by ON DELETE CASCADE. */
  deleteTransactions: `DELETE FROM accord_transactions WHERE gid IN (?)`,
} as const;
