/**
 * Schema of the SQLite store, as numbered migrations. Released migrations are never
 * edited; a change is a new entry with the next version.
 */
import type { Migration } from '../common/migration.js';

/** Bookkeeping table of applied migrations (same name in every SQL backend). */
export const SQLITE_MIGRATIONS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS accord_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** Every migration of the SQLite store, in version order. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'transactions, branch ops and attempts',
    sql: `
CREATE TABLE accord_transactions (
  gid             TEXT    NOT NULL PRIMARY KEY,
  mode            TEXT    NOT NULL,
  status          TEXT    NOT NULL,
  options         TEXT    NOT NULL,
  check_url       TEXT,
  fingerprint     TEXT    NOT NULL,
  reason          TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  finished_at     INTEGER,
  deadline_at     INTEGER,
  next_attempt_at INTEGER,
  parked          INTEGER NOT NULL DEFAULT 0 CHECK (parked IN (0, 1)),
  lease_owner     TEXT,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  fence           INTEGER NOT NULL DEFAULT 0
);

-- Due work: only rows the recovery path may claim.
CREATE INDEX accord_transactions_due ON accord_transactions (next_attempt_at)
  WHERE status NOT IN ('succeeded', 'failed') AND parked = 0;

-- Listing, newest first (scanned backwards).
CREATE INDEX accord_transactions_created ON accord_transactions (created_at, gid);

CREATE INDEX accord_transactions_parked ON accord_transactions (created_at)
  WHERE status NOT IN ('succeeded', 'failed') AND parked = 1;

CREATE TABLE accord_branch_ops (
  gid                TEXT    NOT NULL REFERENCES accord_transactions (gid) ON DELETE CASCADE,
  branch_id          TEXT    NOT NULL,
  op                 TEXT    NOT NULL,
  url                TEXT    NOT NULL,
  payload            TEXT    NOT NULL,
  seq                INTEGER NOT NULL,
  depends_on         TEXT    NOT NULL,
  max_attempts       INTEGER,
  status             TEXT    NOT NULL,
  attempts           INTEGER NOT NULL,
  failures           INTEGER NOT NULL,
  next_attempt_at    INTEGER NOT NULL,
  last_error_status  INTEGER,
  last_error_message TEXT,
  last_error_at      INTEGER,
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (gid, branch_id, op)
);

CREATE TABLE accord_attempts (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  gid         TEXT    NOT NULL REFERENCES accord_transactions (gid) ON DELETE CASCADE,
  branch_id   TEXT    NOT NULL,
  op          TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  outcome     TEXT    NOT NULL,
  http_status INTEGER,
  message     TEXT
);

CREATE INDEX accord_attempts_gid ON accord_attempts (gid, started_at, id);
`,
  },
  {
    version: 2,
    name: 'index for purging terminal transactions',
    sql: `
CREATE INDEX accord_transactions_finished ON accord_transactions (finished_at)
  WHERE status IN ('succeeded', 'failed');
`,
  },
  {
    version: 3,
    name: 'key-value entries',
    sql: `
CREATE TABLE accord_kv (
  namespace   TEXT    NOT NULL,
  entry_key   TEXT    NOT NULL,
  entry_value TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (namespace, entry_key)
) WITHOUT ROWID;
`,
  },
  {
    version: 4,
    name: 'global row locks of at-mode transactions',
    sql: `
CREATE TABLE accord_row_locks (
  lock_key    TEXT    NOT NULL PRIMARY KEY,
  gid         TEXT    NOT NULL REFERENCES accord_transactions (gid) ON DELETE CASCADE,
  branch_id   TEXT    NOT NULL,
  acquired_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX accord_row_locks_gid ON accord_row_locks (gid);
`,
  },
  {
    version: 5,
    name: 'paused transactions, labels, actors of operator actions',
    sql: `
ALTER TABLE accord_transactions ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
ALTER TABLE accord_transactions ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
ALTER TABLE accord_attempts ADD COLUMN actor TEXT;

-- Due work: a paused transaction is not claimed either.
DROP INDEX accord_transactions_due;
CREATE INDEX accord_transactions_due ON accord_transactions (next_attempt_at)
  WHERE status NOT IN ('succeeded', 'failed') AND parked = 0 AND paused = 0;
`,
  },
];
