/**
 * Schema of the PostgreSQL store, as numbered migrations. Released migrations are never
 * edited; a change is a new entry with the next version. Names are unqualified, so
 * everything lands in the first schema of the connection's `search_path`.
 */
import type { Migration } from '../common/migration.js';

/** Bookkeeping table of applied migrations (same name in every SQL backend). */
export const POSTGRES_MIGRATIONS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS accord_migrations (
  version    integer PRIMARY KEY,
  name       text    NOT NULL,
  applied_at bigint  NOT NULL
)`;

/**
 * Serializes migrators of the same schema (other schemas are not blocked); held until
 * the migrating transaction ends.
 */
export const POSTGRES_MIGRATION_LOCK_SQL = `
SELECT pg_advisory_xact_lock(hashtext('accord_migrations:' || coalesce(current_schema(), '')))`;

/** Every migration of the PostgreSQL store, in version order. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'transactions, branch ops and attempts',
    sql: `
-- Keys use the "C" collation: byte order, the same as SQLite and every other backend.
CREATE TABLE accord_transactions (
  gid             text COLLATE "C" NOT NULL PRIMARY KEY,
  mode            text    NOT NULL,
  status          text    NOT NULL,
  options         jsonb   NOT NULL,
  check_url       text,
  fingerprint     text    NOT NULL,
  reason          text,
  created_at      bigint  NOT NULL,
  updated_at      bigint  NOT NULL,
  finished_at     bigint,
  deadline_at     bigint,
  next_attempt_at bigint,
  parked          boolean NOT NULL DEFAULT false,
  lease_owner     text,
  lease_until     bigint  NOT NULL DEFAULT 0,
  fence           bigint  NOT NULL DEFAULT 0
);

-- Due work: only rows the recovery path may claim.
CREATE INDEX accord_transactions_due ON accord_transactions (next_attempt_at)
  WHERE status NOT IN ('succeeded', 'failed') AND parked = false;

-- Listing, newest first (scanned backwards).
CREATE INDEX accord_transactions_created ON accord_transactions (created_at, gid);

CREATE INDEX accord_transactions_parked ON accord_transactions (created_at)
  WHERE status NOT IN ('succeeded', 'failed') AND parked = true;

CREATE TABLE accord_branch_ops (
  gid                text COLLATE "C" NOT NULL
                     REFERENCES accord_transactions (gid) ON DELETE CASCADE,
  branch_id          text COLLATE "C" NOT NULL,
  op                 text COLLATE "C" NOT NULL,
  url                text    NOT NULL,
  payload            text    NOT NULL,
  seq                integer NOT NULL,
  depends_on         jsonb   NOT NULL,
  max_attempts       integer,
  status             text    NOT NULL,
  attempts           integer NOT NULL,
  failures           integer NOT NULL,
  next_attempt_at    bigint  NOT NULL,
  last_error_status  integer,
  last_error_message text,
  last_error_at      bigint,
  updated_at         bigint  NOT NULL,
  PRIMARY KEY (gid, branch_id, op)
);

CREATE TABLE accord_attempts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gid         text COLLATE "C" NOT NULL
              REFERENCES accord_transactions (gid) ON DELETE CASCADE,
  branch_id   text    NOT NULL,
  op          text    NOT NULL,
  attempt     integer NOT NULL,
  started_at  bigint  NOT NULL,
  finished_at bigint  NOT NULL,
  outcome     text    NOT NULL,
  http_status integer,
  message     text
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
  namespace   text COLLATE "C" NOT NULL,
  entry_key   text COLLATE "C" NOT NULL,
  entry_value text   NOT NULL,
  version     bigint NOT NULL,
  PRIMARY KEY (namespace, entry_key)
);
`,
  },
  {
    version: 4,
    name: 'global row locks of at-mode transactions',
    sql: `
CREATE TABLE accord_row_locks (
  lock_key    text COLLATE "C" NOT NULL PRIMARY KEY,
  gid         text COLLATE "C" NOT NULL
              REFERENCES accord_transactions (gid) ON DELETE CASCADE,
  branch_id   text   NOT NULL,
  acquired_at bigint NOT NULL
);

CREATE INDEX accord_row_locks_gid ON accord_row_locks (gid);
`,
  },
  {
    version: 5,
    name: 'paused transactions, labels, actors of operator actions',
    sql: `
ALTER TABLE accord_transactions ADD COLUMN paused boolean NOT NULL DEFAULT false;
ALTER TABLE accord_transactions ADD COLUMN labels jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE accord_attempts ADD COLUMN actor text;

-- Due work: a paused transaction is not claimed either.
DROP INDEX accord_transactions_due;
CREATE INDEX accord_transactions_due ON accord_transactions (next_attempt_at)
  WHERE status NOT IN ('succeeded', 'failed') AND parked = false AND paused = false;
`,
  },
];
