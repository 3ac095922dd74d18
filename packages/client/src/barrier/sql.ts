/**
 * The barrier's SQL, as data: one DDL and three statements per dialect. The dialects differ
 * only in column types, placeholders, how an insert ignores an existing key and how a read
 * sees the latest committed row.
 */
import { ValidationError } from '@accord/core';

/** Databases the barrier speaks. `mysql` covers MySQL and MariaDB (InnoDB). */
export type BarrierDialect = 'postgres' | 'sqlite' | 'mysql';
/** Default table name. */
export const BARRIER_TABLE = 'accord_barrier';

/** The statements a barrier runs, for one dialect and table. */
export interface BarrierSql {
  readonly ddl: string;
  /** (gid, branch_id, op, barrier_id, reason); affects 0 rows when the key exists. */
  readonly insertIgnore: string;
  /** Same, but fails with a unique-key error when the key exists. */
  readonly insert: string;
  /**
   * reason of (gid, branch_id, op, barrier_id), read as the latest committed row (on MySQL a
   * locking read, since a plain one sees the transaction's REPEATABLE READ snapshot).
   */
  readonly selectReason: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/**
 * Longest key values, in characters: the coordinator's own limits on gids and branch ids.
 * Bounded so the MySQL primary key (4 bytes a character in utf8mb4) stays under InnoDB's
 * 3072-byte index limit.
 */
export const BARRIER_KEY_LIMITS = { gid: 128, id: 64, short: 16 } as const;

/** What sets one dialect apart: capabilities and types, never a branch on its name. */
interface DialectSpec {
  readonly gid: string;
  readonly id: string;
  readonly short: string;
  readonly createdAt: string;
  /** Text after the closing parenthesis of CREATE TABLE. */
  readonly tableOptions: string;
  /** `$1, $2, …` rather than `?`. */
  readonly numberedParams: boolean;
  /** How an insert skips an existing key: a trailing clause or the `IGNORE` keyword. */
  readonly ignoreDuplicates: 'on-conflict' | 'insert-ignore';
  /** Suffix that makes a read return the latest committed row. */
  readonly latestRead: string;
}

const L = BARRIER_KEY_LIMITS;

const DIALECTS: Record<BarrierDialect, DialectSpec> = {
  postgres: {
    gid: `varchar(${L.gid})`,
    id: `varchar(${L.id})`,
    short: `varchar(${L.short})`,
    createdAt: 'timestamptz NOT NULL DEFAULT now()',
    tableOptions: '',
    numberedParams: true,
    ignoreDuplicates: 'on-conflict',
    latestRead: '',
  },
  sqlite: {
    gid: 'TEXT',
    id: 'TEXT',
    short: 'TEXT',
    createdAt: "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    tableOptions: ' WITHOUT ROWID',
    numberedParams: false,
    ignoreDuplicates: 'on-conflict',
    latestRead: '',
  },
  mysql: {
    gid: `varchar(${L.gid})`,
    id: `varchar(${L.id})`,
    short: `varchar(${L.short})`,
    // Session time zone, like DTM's own barrier table; datetime has no 2038 limit.
    createdAt: 'datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
    // Binary collation: gids that differ only in case or trailing spaces are distinct.
    tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC',
    numberedParams: false,
    ignoreDuplicates: 'insert-ignore',
    latestRead: ' LOCK IN SHARE MODE',
  },
};

function placeholders(spec: DialectSpec, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (spec.numberedParams ? `$${i + 1}` : '?'));
}

/**
 * The barrier's statements. Throws `ValidationError` for a table name that is not a plain
 * (optionally schema-qualified) identifier.
 *
 * @example
 * console.log(barrierSql('postgres').ddl);
 */
export function barrierSql(dialect: BarrierDialect, table: string = BARRIER_TABLE): BarrierSql {
  if (!NAME.test(table)) {
    throw new ValidationError([
      { path: 'table', message: 'must be an identifier, optionally schema-qualified' },
    ]);
  }
  const c = DIALECTS[dialect];
  const [p1, p2, p3, p4, p5] = placeholders(c, 5);
  const ddl = [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    `  gid ${c.gid} NOT NULL,`,
    `  branch_id ${c.id} NOT NULL,`,
    `  op ${c.short} NOT NULL,`,
    `  barrier_id ${c.id} NOT NULL,`,
    `  reason ${c.short} NOT NULL,`,
    `  created_at ${c.createdAt},`,
    `  PRIMARY KEY (gid, branch_id, op, barrier_id)`,
    `)${c.tableOptions}`,
  ].join('\n');
  const into = `INTO ${table} (gid, branch_id, op, barrier_id, reason) VALUES (${p1}, ${p2}, ${p3}, ${p4}, ${p5})`;
  const insert = `INSERT ${into}`;
  return {
    ddl,
    insert,
    insertIgnore:
      c.ignoreDuplicates === 'insert-ignore'
        ? `INSERT IGNORE ${into}`
        : `${insert} ON CONFLICT DO NOTHING`,
    selectReason: `SELECT reason FROM ${table} WHERE gid = ${p1} AND branch_id = ${p2} AND op = ${p3} AND barrier_id = ${p4}${c.latestRead}`,
  };
}

/**
 * The barrier table's DDL for a dialect (one `CREATE TABLE IF NOT EXISTS` statement).
 *
 * @example
 * barrierDdl('sqlite'); // 'CREATE TABLE IF NOT EXISTS accord_barrier (…) WITHOUT ROWID'
 */
export function barrierDdl(dialect: BarrierDialect, options: { table?: string } = {}): string {
  return barrierSql(dialect, options.table).ddl;
}
