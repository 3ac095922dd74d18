/**
 * Every statement of the SQLite store, as data. Parameters are named (`@name`);
 * booleans are bound as 0/1 and JSON as text.
 */

import type { ListDialect } from '../common/list-sql.js';

const NOT_TERMINAL = `status NOT IN ('succeeded', 'failed')`;

/** Connection settings: durable commits (WAL + FULL sync), waits instead of SQLITE_BUSY. */
export const SQLITE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'busy_timeout = 5000',
  'foreign_keys = ON',
] as const;

/**
 * Holds the lock file of a coordinator's exclusive use (see sqlite-lock.ts): a rollback
 * journal kept in memory, so no journal file appears, and an exclusive transaction that
 * is never ended.
 */
export const SQLITE_LOCK_SQL = ['PRAGMA journal_mode = MEMORY', 'BEGIN EXCLUSIVE'] as const;

/** How SQLite writes the parts of a listing that differ between backends. */
export const SQLITE_LIST_DIALECT: ListDialect = {
  placeholder: () => '?',
  bool: (value) => (value ? 1 : 0),
  gidStartsWith: (p, prefix) => {
    const at = p(prefix);
    return `substr(t.gid, 1, length(${at})) = ${p(prefix)}`;
  },
  hasLabel: (p, key, value) =>
    `EXISTS (SELECT 1 FROM json_each(t.labels) l WHERE l.key = ${p(key)} AND l.value = ${p(value)})`,
  before: (p, c) => `(t.created_at, t.gid) < (${p(c.createdAt)}, ${p(c.gid)})`,
  int: (placeholder) => placeholder,
};

/** The SQL of the SQLite store. */
export const SQLITE_SQL = {
  appliedMigrations: `SELECT version FROM accord_migrations ORDER BY version`,
  recordMigration: `INSERT INTO accord_migrations (version, name, applied_at) VALUES (@version, @name, @applied_at)`,
  ping: `SELECT 1 AS ok`,

  insertTransaction: `
INSERT INTO accord_transactions (gid, mode, status, options, check_url, fingerprint, reason,
  created_at, updated_at, finished_at, deadline_at, next_attempt_at, parked, paused, labels,
  lease_owner, lease_until, fence)
VALUES (@gid, @mode, @status, @options, @check_url, @fingerprint, @reason, @created_at,
  @updated_at, @finished_at, @deadline_at, @next_attempt_at, @parked, @paused, @labels,
  @lease_owner, @lease_until, @fence)
ON CONFLICT (gid) DO NOTHING`,

  upsertOp: `
INSERT INTO accord_branch_ops (gid, branch_id, op, url, payload, seq, depends_on, max_attempts,
  status, attempts, failures, next_attempt_at, last_error_status, last_error_message,
  last_error_at, updated_at)
VALUES (@gid, @branch_id, @op, @url, @payload, @seq, @depends_on, @max_attempts, @status,
  @attempts, @failures, @next_attempt_at, @last_error_status, @last_error_message,
  @last_error_at, @updated_at)
ON CONFLICT (gid, branch_id, op) DO UPDATE SET
  url = excluded.url, payload = excluded.payload, seq = excluded.seq,
  depends_on = excluded.depends_on, max_attempts = excluded.max_attempts,
  status = excluded.status, attempts = excluded.attempts, failures = excluded.failures,
  next_attempt_at = excluded.next_attempt_at, last_error_status = excluded.last_error_status,
  last_error_message = excluded.last_error_message, last_error_at = excluded.last_error_at,
  updated_at = excluded.updated_at`,

  insertAttempt: `
INSERT INTO accord_attempts (gid, branch_id, op, attempt, started_at, finished_at, outcome,
  http_status, message, actor)
VALUES (@gid, @branch_id, @op, @attempt, @started_at, @finished_at, @outcome, @http_status,
  @message, @actor)`,

  /** Fenced update of the mutable fields; `release` gives the lease up. */
  updateTransaction: `
UPDATE accord_transactions SET
  status = @status, reason = @reason, updated_at = @updated_at, finished_at = @finished_at,
  deadline_at = @deadline_at, next_attempt_at = @next_attempt_at, parked = @parked,
  paused = @paused,
  lease_owner = CASE WHEN @release = 1 THEN NULL ELSE lease_owner END,
  lease_until = CASE WHEN @release = 1 THEN 0 ELSE lease_until END
WHERE gid = @gid AND fence = @fence`,

  selectTransaction: `SELECT * FROM accord_transactions WHERE gid = @gid`,
  selectOps: `SELECT * FROM accord_branch_ops WHERE gid = @gid ORDER BY seq, branch_id, op`,
  selectOpsOfMany: `
SELECT * FROM accord_branch_ops WHERE gid IN (SELECT value FROM json_each(@gids))
ORDER BY gid, seq, branch_id, op`,
  selectHistory: `SELECT * FROM accord_attempts WHERE gid = @gid ORDER BY started_at, id`,

  claim: `
UPDATE accord_transactions
SET lease_owner = @owner, lease_until = @until, fence = fence + 1
WHERE gid = @gid AND ${NOT_TERMINAL} AND lease_until <= @now
RETURNING *`,

  claimDue: `
UPDATE accord_transactions
SET lease_owner = @owner, lease_until = @until, fence = fence + 1
WHERE gid IN (
  SELECT gid FROM accord_transactions
  WHERE ${NOT_TERMINAL} AND parked = 0 AND paused = 0 AND next_attempt_at <= @now
    AND lease_until <= @now
  ORDER BY next_attempt_at, gid
  LIMIT @limit)
RETURNING *`,

  /** Makes waiting transactions with a free lease due now (ops follow, see hastenOps). */
  hasten: `
UPDATE accord_transactions SET next_attempt_at = @now
WHERE gid IN (
  SELECT gid FROM accord_transactions
  WHERE ${NOT_TERMINAL} AND parked = 0 AND paused = 0 AND next_attempt_at > @later
    AND lease_until <= @now
    AND (@gid IS NULL OR gid = @gid)
  ORDER BY next_attempt_at, gid
  LIMIT @limit)
RETURNING gid`,

  /** The pending ops of the hastened transactions (`@gids`, a JSON array). */
  hastenOps: `
UPDATE accord_branch_ops SET next_attempt_at = @now
WHERE gid IN (SELECT value FROM json_each(@gids))
  AND status = 'pending' AND next_attempt_at > @now`,

  renew: `
UPDATE accord_transactions SET lease_until = @until
WHERE gid = @gid AND fence = @fence AND lease_owner = @owner`,

  countParked: `SELECT count(*) AS n FROM accord_transactions WHERE ${NOT_TERMINAL} AND parked = 1`,
  countLive: `
SELECT mode, status, parked, count(*) AS n FROM accord_transactions
WHERE ${NOT_TERMINAL} GROUP BY mode, status, parked`,
  oldestDue: `
SELECT min(next_attempt_at) AS at FROM accord_transactions
WHERE ${NOT_TERMINAL} AND parked = 0 AND next_attempt_at <= @now AND lease_until <= @now`,
  purgeTerminal: `
DELETE FROM accord_transactions WHERE gid IN (
  SELECT gid FROM accord_transactions
  WHERE status IN ('succeeded', 'failed') AND finished_at < @before
  ORDER BY finished_at
  LIMIT @limit
)`,
} as const;
