/**
 * Schema of the MySQL/MariaDB store, as numbered migrations. Released migrations are
 * never edited; a change is a new entry with the next version.
 *
 * MySQL DDL commits implicitly, so a migration is not atomic and a transaction does not
 * serialise migrators: a named lock (`GET_LOCK`) does. Statements end with `;` at the end
 * of a line (see {@link migrationStatements}), so a printed migration is a valid script.
 */
import type { Migration } from '../common/migration.js';

/** Table options of every table: InnoDB, and byte order for keys like the other backends. */
const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** Bookkeeping table of applied migrations (same name in every SQL backend). */
export const MYSQL_MIGRATIONS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS accord_migrations (
  version    INT          NOT NULL PRIMARY KEY,
  name       VARCHAR(255) NOT NULL,
  applied_at BIGINT       NOT NULL
) ${TABLE}`;

/** Seconds a migrator waits for another one to finish. */
export const MYSQL_MIGRATION_LOCK_TIMEOUT_S = 60;

/**
 * Name of the lock serialising migrators of one database (other databases are not
 * blocked). Lock names are server-wide and at most 64 characters, hence the hash.
 */
const LOCK_NAME = `CONCAT('accord_migrations:', MD5(COALESCE(DATABASE(), '')))`;

/** Takes the migration lock, waiting up to `?` seconds; `locked` is 1 when held. */
export const MYSQL_MIGRATION_LOCK_SQL = `SELECT GET_LOCK(${LOCK_NAME}, ?) AS locked`;

/** Gives the migration lock up (it also goes when the session ends). */
export const MYSQL_MIGRATION_UNLOCK_SQL = `SELECT RELEASE_LOCK(${LOCK_NAME}) AS released`;

/**
 * The statements of a migration, one per query (the store does not enable multi-statement
 * queries): split where a line ends with `;`; pieces with nothing but comments are dropped.
 */
export function migrationStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.split('\n').some((line) => !/^\s*(--.*)?$/.test(line)));
}

/** Every migration of the MySQL/MariaDB store, in version order. */
export const MYSQL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'transactions, branch ops and attempts',
    // IF NOT EXISTS: DDL cannot be rolled back, so a migration cut short by a crash is
    // completed by the next run instead of failing on the tables it already made.
    sql: `
-- Keys use utf8mb4_bin: code point (= UTF-8 byte) order, the same as every other backend.
-- Times are BIGINT ms, JSON is LONGTEXT so that it round-trips byte for byte.
CREATE TABLE IF NOT EXISTS accord_transactions (
  gid             VARCHAR(255) NOT NULL,
  mode            VARCHAR(16)  NOT NULL,
  status          VARCHAR(16)  NOT NULL,
  options         LONGTEXT     NOT NULL,
  check_url       TEXT,
  fingerprint     TEXT         NOT NULL,
  reason          LONGTEXT,
  created_at      BIGINT       NOT NULL,
  updated_at      BIGINT       NOT NULL,
  finished_at     BIGINT,
  deadline_at     BIGINT,
  next_attempt_at BIGINT,
  parked          BOOLEAN      NOT NULL DEFAULT FALSE,
  lease_owner     VARCHAR(255),
  lease_until     BIGINT       NOT NULL DEFAULT 0,
  fence           BIGINT       NOT NULL DEFAULT 0,
  PRIMARY KEY (gid),
  -- Due work (and the parked count): InnoDB appends the gid, so the claim order
  -- (next_attempt_at, gid) is read straight from the index.
  KEY accord_transactions_due (parked, next_attempt_at),
  -- Listing, newest first (scanned backwards).
  KEY accord_transactions_created (created_at, gid)
) ${TABLE};

CREATE TABLE IF NOT EXISTS accord_branch_ops (
  gid                VARCHAR(255) NOT NULL,
  branch_id          VARCHAR(255) NOT NULL,
  op                 VARCHAR(16)  NOT NULL,
  url                TEXT         NOT NULL,
  payload            LONGTEXT     NOT NULL,
  seq                INT          NOT NULL,
  depends_on         LONGTEXT     NOT NULL,
  max_attempts       INT,
  status             VARCHAR(16)  NOT NULL,
  attempts           INT          NOT NULL,
  failures           INT          NOT NULL,
  next_attempt_at    BIGINT       NOT NULL,
  last_error_status  INT,
  last_error_message LONGTEXT,
  last_error_at      BIGINT,
  updated_at         BIGINT       NOT NULL,
  PRIMARY KEY (gid, branch_id, op),
  CONSTRAINT accord_branch_ops_transaction FOREIGN KEY (gid)
    REFERENCES accord_transactions (gid) ON DELETE CASCADE
) ${TABLE};

CREATE TABLE IF NOT EXISTS accord_attempts (
  id          BIGINT       NOT NULL AUTO_INCREMENT,
  gid         VARCHAR(255) NOT NULL,
  branch_id   VARCHAR(255) NOT NULL,
  op          VARCHAR(16)  NOT NULL,
  attempt     INT          NOT NULL,
  started_at  BIGINT       NOT NULL,
  finished_at BIGINT       NOT NULL,
  outcome     VARCHAR(16)  NOT NULL,
  http_status INT,
  message     LONGTEXT,
  PRIMARY KEY (id),
  KEY accord_attempts_gid (gid, started_at, id),
  CONSTRAINT accord_attempts_transaction FOREIGN KEY (gid)
    REFERENCES accord_transactions (gid) ON DELETE CASCADE
) ${TABLE};
`,
  },
  {
    version: 2,
    name: 'index for purging terminal transactions',
    sql: `
CREATE INDEX accord_transactions_finished ON accord_transactions (finished_at);
`,
  },
  {
    version: 3,
    name: 'key-value entries',
    sql: `
-- Keys are bytes: utf8mb4_bin pads with spaces, so 'a' and 'a ' would be one key.
CREATE TABLE IF NOT EXISTS accord_kv (
  namespace   VARCHAR(64)     NOT NULL,
  entry_key   VARBINARY(2048) NOT NULL,
  entry_value MEDIUMTEXT      NOT NULL,
  version     BIGINT          NOT NULL,
  PRIMARY KEY (namespace, entry_key)
) ${TABLE};
`,
  },
  {
    version: 4,
    name: 'global row locks of at-mode transactions',
    sql: `
CREATE TABLE IF NOT EXISTS accord_row_locks (
  lock_key    VARBINARY(2048) NOT NULL,
  gid         VARCHAR(255)    NOT NULL,
  branch_id   VARCHAR(255)    NOT NULL,
  acquired_at BIGINT          NOT NULL,
  PRIMARY KEY (lock_key),
  KEY accord_row_locks_gid (gid),
  CONSTRAINT accord_row_locks_transaction FOREIGN KEY (gid)
    REFERENCES accord_transactions (gid) ON DELETE CASCADE
) ${TABLE};
`,
  },
  {
    version: 5,
    name: 'paused transactions, labels, actors of operator actions',
    // Labels are nullable: MySQL allows no literal default on a LONGTEXT (NULL reads as none).
    sql: `
ALTER TABLE accord_transactions
  ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN labels LONGTEXT;
ALTER TABLE accord_attempts ADD COLUMN actor VARCHAR(255);
`,
  },
];
