/**
 * The XA ledger's SQL, as data, for PostgreSQL and MySQL/MariaDB. The ledger lives in the
 * barrier table (same DDL, same key columns), so one `migrate()` serves both.
 */
import { barrierSql } from '../barrier/sql.js';

/** The ledger statements of one dialect and table. */
export interface LedgerSql {
  readonly table: string;
  readonly ddl: string;
  /** reason of (gid, branch_id, op, barrier_id), the latest committed row. */
  readonly selectReason: string;
}

/** PostgreSQL: the claim is one statement, so it can serve a pool as well as a client. */
export interface PgLedgerSql extends LedgerSql {
  /**
   * Takes the branch's advisory lock without waiting and, only if it got it, inserts the
   * row unless one exists. Parameters: gid, branch_id, op, barrier_id, lock name, reason.
   * Answers one row `{ got, inserted, existing }`; `existing` is the reason of a row
   * committed before the statement began. Inside a transaction the lock lasts until it
   * ends (a prepared transaction keeps it); in autocommit, until the statement ends.
   */
  readonly claim: string;
  /** `{ prepared }`: whether a prepared transaction of that name exists here. */
  readonly isPrepared: string;
}

/** MySQL/MariaDB: plain statements, run on one connection with a short lock wait. */
export interface MysqlLedgerSql extends LedgerSql {
  /** Fails with a duplicate-key error when the key exists (reason is the 5th value). */
  readonly insert: string;
  /** Affects 0 rows when the key exists. */
  readonly insertIgnore: string;
  /** Same as `selectReason`, as a plain read (autocommit sees the latest commit). */
  readonly readReason: string;
}

/**
 * The PostgreSQL ledger statements for `table` (validated as an identifier).
 *
 * @example
 * pgLedgerSql('accord_barrier').claim;
 */
export function pgLedgerSql(table: string): PgLedgerSql {
  const sql = barrierSql('postgres', table);
  const key = 'gid = $1 AND branch_id = $2 AND op = $3 AND barrier_id = $4';
  return {
    table,
    ddl: sql.ddl,
    selectReason: sql.selectReason,
    claim: [
      'WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtextextended($5::text, 0)) AS got),',
      'inserted AS (',
      `  INSERT INTO ${table} (gid, branch_id, op, barrier_id, reason)`,
      '  SELECT $1, $2, $3, $4, $6 FROM lock WHERE got',
      '  ON CONFLICT DO NOTHING',
      '  RETURNING 1',
      ')',
      'SELECT (SELECT got FROM lock) AS got,',
      '  EXISTS (SELECT 1 FROM inserted) AS inserted,',
      `  (SELECT reason FROM ${table} WHERE ${key}) AS existing`,
    ].join('\n'),
    isPrepared:
      'SELECT EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()) AS prepared',
  };
}

/**
 * The MySQL/MariaDB ledger statements for `table` (validated as an identifier).
 *
 * @example
 * mysqlLedgerSql('accord_barrier').insert;
 */
export function mysqlLedgerSql(table: string): MysqlLedgerSql {
  const sql = barrierSql('mysql', table);
  return {
    table,
    ddl: sql.ddl,
    selectReason: sql.selectReason,
    insert: sql.insert,
    insertIgnore: sql.insertIgnore,
    readReason: `SELECT reason FROM ${table} WHERE gid = ? AND branch_id = ? AND op = ? AND barrier_id = ?`,
  };
}
