/**
 * The one way the services talk to their database: statements with `?` placeholders,
 * the same text on PostgreSQL and MariaDB. Each driver gets a small adapter.
 */
import type { MysqlQueryable, PgQueryable } from '@accord/client/barrier';

/**
 * Runs SQL on a pool, a connection or a transaction's connection.
 *
 * @example
 * const changed = await sql.exec('UPDATE wallet SET balance = balance - ? WHERE customer = ?', [5, 'ada']);
 */
export interface Sql {
  /** Runs a statement; resolves to the number of rows it changed. */
  exec(text: string, values?: readonly unknown[]): Promise<number>;
  /** Runs a query; resolves to its rows as the driver returns them. */
  rows<T extends object>(text: string, values?: readonly unknown[]): Promise<T[]>;
}

/** `?` → `$1`, `$2`, …: the services' SQL has no `?` anywhere else. */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/**
 * {@link Sql} over `pg` (a `Pool` or a `PoolClient`).
 *
 * @example
 * const sql = pgSql(pool);
 */
export function pgSql(db: PgQueryable): Sql {
  return {
    async exec(text, values = []) {
      const result = await db.query(numbered(text), [...values]);
      return result.rowCount ?? 0;
    },
    async rows<T extends object>(text: string, values: readonly unknown[] = []) {
      const result = await db.query(numbered(text), [...values]);
      return result.rows as T[];
    },
  };
}

/**
 * {@link Sql} over `mysql2/promise` (a `Pool` or a `PoolConnection`).
 *
 * @example
 * const sql = mysqlSql(pool);
 */
export function mysqlSql(db: MysqlQueryable): Sql {
  return {
    async exec(text, values = []) {
      const [header] = await db.query(text, [...values]);
      const affected = (header as { affectedRows?: unknown } | undefined)?.affectedRows;
      return typeof affected === 'number' ? affected : 0;
    },
    async rows<T extends object>(text: string, values: readonly unknown[] = []) {
      const [rows] = await db.query(text, [...values]);
      return Array.isArray(rows) ? (rows as T[]) : [];
    },
  };
}
