/**
 * Every statement of the PostgreSQL store, as data. Parameters are positional; ops and
 * attempts travel as one jsonb array each (`jsonb_to_recordset`), so a whole write is
 * one statement and one round trip.
 */

import type { ListDialect } from '../common/list-sql.js';

const NOT_TERMINAL = `status NOT IN ('succeeded', 'failed')`;

const OP_COLUMNS = `branch_id, op, url, payload, seq, depends_on, max_attempts, status, attempts,
  failures, next_attempt_at, last_error_status, last_error_message, last_error_at, updated_at`;

const OP_RECORD = `branch_id text, op text, url text, payload text, seq integer,
  depends_on jsonb, max_attempts integer, status text, attempts integer, failures integer,
  next_attempt_at bigint, last_error_status integer, last_error_message text,
  last_error_at bigint, updated_at bigint`;

const OP_VALUES = `x.branch_id, x.op, x.url, x.payload, x.seq, x.depends_on, x.max_attempts,
  x.status, x.attempts, x.failures, x.next_attempt_at, x.last_error_status,
  x.last_error_message, x.last_error_at, x.updated_at`;

/** Replaces an existing op row with the new values (ops are written whole). */
const OP_UPSERT = `ON CONFLICT (gid, branch_id, op) DO UPDATE SET
    url = excluded.url, payload = excluded.payload, seq = excluded.seq,
    depends_on = excluded.depends_on, max_attempts = excluded.max_attempts,
    status = excluded.status, attempts = excluded.attempts, failures = excluded.failures,
    next_attempt_at = excluded.next_attempt_at, last_error_status = excluded.last_error_status,
    last_error_message = excluded.last_error_message, last_error_at = excluded.last_error_at,
    updated_at = excluded.updated_at`;

const ATTEMPT_COLUMNS = `branch_id, op, attempt, started_at, finished_at, outcome, http_status, message,
  actor`;

const ATTEMPT_RECORD = `branch_id text, op text, attempt integer, started_at bigint,
  finished_at bigint, outcome text, http_status integer, message text, actor text`;

const ATTEMPT_VALUES = `x.branch_id, x.op, x.attempt, x.started_at, x.finished_at, x.outcome,
  x.http_status, x.message, x.actor`;

/** How PostgreSQL writes the parts of a listing that differ between backends. */
export const POSTGRES_LIST_DIALECT: ListDialect = {
  placeholder: (n) => `$${n}`,
  bool: (value) => value,
  gidStartsWith: (p, prefix) => `starts_with(t.gid, ${p(prefix)}::text)`,
  hasLabel: (p, key, value) => `t.labels ->> ${p(key)}::text = ${p(value)}::text`,
  before: (p, c) => `(t.created_at, t.gid) < (${p(c.createdAt)}::bigint, ${p(c.gid)}::text)`,
  int: (placeholder) => `${placeholder}::bigint`,
};

/** The SQL of the PostgreSQL store. */
export const POSTGRES_SQL = {
  appliedMigrations: `SELECT version FROM accord_migrations ORDER BY version`,
  recordMigration: `INSERT INTO accord_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
  ping: `SELECT 1 AS ok`,

  /** $1..$16: transaction columns; $17: jsonb array of ops; $18 paused, $19 labels. */
  insert: `
WITH t AS (
  INSERT INTO accord_transactions (gid, mode, status, options, check_url, fingerprint, reason,
    created_at, updated_at, finished_at, deadline_at, next_attempt_at, parked, lease_owner,
    lease_until, fence, paused, labels)
  VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $18,
    $19::jsonb)
  ON CONFLICT (gid) DO NOTHING
  RETURNING gid
), o AS (
  INSERT INTO accord_branch_ops (gid, ${OP_COLUMNS})
  SELECT t.gid, ${OP_VALUES} FROM t, jsonb_to_recordset($17::jsonb) AS x(${OP_RECORD})
)
SELECT count(*)::int AS inserted FROM t`,

  /**
   * Fenced write: $1 gid, $2 fence, $3..$9 mutable fields, $10 release, $11 ops, $12
   * attempts, $13 paused. Ops and attempts are joined to the update's result, so a stale fence writes
   * nothing at all. Returns `applied` 0 or 1.
   */
  write: `
WITH t AS (
  UPDATE accord_transactions SET
    status = $3, reason = $4, updated_at = $5, finished_at = $6, deadline_at = $7,
    next_attempt_at = $8, parked = $9, paused = $13,
    lease_owner = CASE WHEN $10::boolean THEN NULL ELSE lease_owner END,
    lease_until = CASE WHEN $10::boolean THEN 0 ELSE lease_until END
  WHERE gid = $1 AND fence = $2
  RETURNING gid
), o AS (
  INSERT INTO accord_branch_ops (gid, ${OP_COLUMNS})
  SELECT t.gid, ${OP_VALUES} FROM t, jsonb_to_recordset($11::jsonb) AS x(${OP_RECORD})
  ${OP_UPSERT}
), a AS (
  INSERT INTO accord_attempts (gid, ${ATTEMPT_COLUMNS})
  SELECT t.gid, ${ATTEMPT_VALUES} FROM t, jsonb_to_recordset($12::jsonb) AS x(${ATTEMPT_RECORD})
)
SELECT count(*)::int AS applied FROM t`,

  /**
   * A batch of new transactions (distinct gids) in one statement: $1 jsonb array of
   * transaction rows, $2 of ops (each with its gid). Existing gids are left alone and their
   * ops skipped. Returns the gids inserted.
   */
  insertMany: `
WITH v AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(gid text, mode text, status text,
    options jsonb, check_url text, fingerprint text, reason text, created_at bigint,
    updated_at bigint, finished_at bigint, deadline_at bigint, next_attempt_at bigint,
    parked boolean, lease_owner text, lease_until bigint, fence bigint, paused boolean,
    labels jsonb)
), t AS (
  INSERT INTO accord_transactions (gid, mode, status, options, check_url, fingerprint, reason,
    created_at, updated_at, finished_at, deadline_at, next_attempt_at, parked, lease_owner,
    lease_until, fence, paused, labels)
  SELECT gid, mode, status, options, check_url, fingerprint, reason, created_at, updated_at,
    finished_at, deadline_at, next_attempt_at, parked, lease_owner, lease_until, fence,
    paused, labels
  FROM v ORDER BY gid
  ON CONFLICT (gid) DO NOTHING
  RETURNING gid
), o AS (
  INSERT INTO accord_branch_ops (gid, ${OP_COLUMNS})
  SELECT x.gid, ${OP_VALUES} FROM jsonb_to_recordset($2::jsonb) AS x(gid text, ${OP_RECORD})
  WHERE x.gid IN (SELECT gid FROM t)
)
SELECT gid FROM t`,

  /** Locks the rows of a batch in gid order, so concurrent batches cannot deadlock. $1 gids. */
  lockMany: `SELECT gid FROM accord_transactions WHERE gid = ANY($1::text[]) ORDER BY gid FOR UPDATE`,

  /**
   * A whole batch of fenced writes (distinct gids) in one statement: $1 jsonb array of
   * transaction changes, $2 of ops and $3 of attempts (each with its gid). Ops and attempts
   * are kept only for transactions whose fence matched. Returns the gids applied.
   */
  writeMany: `
WITH w AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS w(gid text, fence bigint, status text,
    reason text, updated_at bigint, finished_at bigint, deadline_at bigint,
    next_attempt_at bigint, parked boolean, paused boolean, release boolean)
), t AS (
  UPDATE accord_transactions tx SET
    status = w.status, reason = w.reason, updated_at = w.updated_at,
    finished_at = w.finished_at, deadline_at = w.deadline_at,
    next_attempt_at = w.next_attempt_at, parked = w.parked, paused = w.paused,
    lease_owner = CASE WHEN w.release THEN NULL ELSE tx.lease_owner END,
    lease_until = CASE WHEN w.release THEN 0 ELSE tx.lease_until END
  FROM w WHERE tx.gid = w.gid AND tx.fence = w.fence
  RETURNING tx.gid
), o AS (
  INSERT INTO accord_branch_ops (gid, ${OP_COLUMNS})
  SELECT x.gid, ${OP_VALUES} FROM jsonb_to_recordset($2::jsonb) AS x(gid text, ${OP_RECORD})
  WHERE x.gid IN (SELECT gid FROM t)
  ${OP_UPSERT}
), a AS (
  INSERT INTO accord_attempts (gid, ${ATTEMPT_COLUMNS})
  SELECT x.gid, ${ATTEMPT_VALUES}
  FROM jsonb_to_recordset($3::jsonb) AS x(gid text, n integer, ${ATTEMPT_RECORD})
  WHERE x.gid IN (SELECT gid FROM t)
  ORDER BY x.n
)
SELECT gid FROM t`,

  /** The transaction with its ops as a jsonb array, read from one snapshot. */
  get: `
SELECT t.*, coalesce((
  SELECT jsonb_agg(to_jsonb(o) ORDER BY o.seq, o.branch_id, o.op)
  FROM accord_branch_ops o WHERE o.gid = t.gid), '[]'::jsonb) AS ops_json
FROM accord_transactions t WHERE t.gid = $1`,

  selectOpsOfMany: `
SELECT * FROM accord_branch_ops WHERE gid = ANY($1::text[]) ORDER BY gid, seq, branch_id, op`,
  selectHistory: `SELECT * FROM accord_attempts WHERE gid = $1 ORDER BY started_at, id`,

  /** $1 gid, $2 owner, $3 now, $4 lease expiry. */
  claim: `
UPDATE accord_transactions
SET lease_owner = $2, lease_until = $4, fence = fence + 1
WHERE gid = $1 AND ${NOT_TERMINAL} AND lease_until <= $3
RETURNING *`,

  /** $1 owner, $2 now, $3 lease expiry, $4 limit. Rows another claimer locked are skipped. */
  claimDue: `
WITH due AS (
  SELECT gid FROM accord_transactions
  WHERE ${NOT_TERMINAL} AND parked = false AND paused = false AND next_attempt_at <= $2
    AND lease_until <= $2
  ORDER BY next_attempt_at, gid
  LIMIT $4
  FOR UPDATE SKIP LOCKED
)
UPDATE accord_transactions t
SET lease_owner = $1, lease_until = $3, fence = t.fence + 1
FROM due WHERE t.gid = due.gid
RETURNING t.*`,

  /**
   * $1 now, $2 later-than, $3 limit, $4 gid or null. Makes waiting transactions with a
   * free lease due now, with their pending ops; rows another session locked are skipped.
   */
  hasten: `
WITH picked AS (
  SELECT gid FROM accord_transactions
  WHERE ${NOT_TERMINAL} AND parked = false AND paused = false AND next_attempt_at > $2
    AND lease_until <= $1
    AND ($4::text IS NULL OR gid = $4::text)
  ORDER BY next_attempt_at, gid
  LIMIT $3
  FOR UPDATE SKIP LOCKED
), ops AS (
  UPDATE accord_branch_ops o SET next_attempt_at = $1
  FROM picked WHERE o.gid = picked.gid AND o.status = 'pending' AND o.next_attempt_at > $1
)
UPDATE accord_transactions t SET next_attempt_at = $1
FROM picked WHERE t.gid = picked.gid
RETURNING t.gid`,

  /** $1 gids, $2 fences, $3 owner, $4 new expiry. Returns the leases extended. */
  renew: `
UPDATE accord_transactions t SET lease_until = $4
FROM unnest($1::text[], $2::bigint[]) AS l(gid, fence)
WHERE t.gid = l.gid AND t.fence = l.fence AND t.lease_owner = $3
RETURNING t.gid, t.fence`,

  countParked: `
SELECT count(*)::int AS n FROM accord_transactions WHERE ${NOT_TERMINAL} AND parked = true`,

  countLive: `
SELECT mode, status, parked, count(*)::int AS n FROM accord_transactions
WHERE ${NOT_TERMINAL} GROUP BY mode, status, parked`,

  /** $1 now. */
  oldestDue: `
SELECT min(next_attempt_at)::float8 AS at FROM accord_transactions
WHERE ${NOT_TERMINAL} AND parked = false AND next_attempt_at <= $1 AND lease_until <= $1`,

  purgeTerminal: `
DELETE FROM accord_transactions WHERE gid IN (
  SELECT gid FROM accord_transactions
  WHERE status IN ('succeeded', 'failed') AND finished_at < $1
  ORDER BY finished_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`,
} as const;
