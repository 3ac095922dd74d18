/**
 * `mysqlAt`: at branches on MySQL/MariaDB through a mysql2/promise pool.
 */
import { AtEngine, type AtOptions } from './at-engine.js';
import { mysqlDialect, type MysqlAtConnectionLike } from './mysql-dialect.js';
import { phaseTwoOp, type AtParticipant } from './pg-at.js';

export type { MysqlAtConnectionLike } from './mysql-dialect.js';

/** What `mysqlAt` needs of a pooled connection. */
export interface MysqlAtPoolConnectionLike extends MysqlAtConnectionLike {
  release(): void;
}

/** What `mysqlAt` needs of a mysql2/promise pool. */
export interface MysqlAtPoolLike extends MysqlAtConnectionLike {
  getConnection(): Promise<MysqlAtPoolConnectionLike>;
}

/** What a mysql2 `query` answers: rows or a result header, and the fields. */
export type MysqlAtResult = [unknown, unknown];

/**
 * An at participant on MySQL/MariaDB.
 *
 * @example
 * const at = mysqlAt(pool, { accord, resource: 'wallet-db', phaseTwoUrl: 'http://wallet/at' });
 * await at.migrate();
 * await at.branch({ gid, branchId: 'wallet' }, (tx) =>
 *   tx.query('UPDATE wallet SET balance = balance - ? WHERE user_id = ?', [10, 7]),
 * );
 */
export function mysqlAt(pool: MysqlAtPoolLike, options: AtOptions): AtParticipant<MysqlAtResult> {
  const engine = new AtEngine(mysqlDialect, options);
  async function withConnection<T>(
    fn: (conn: MysqlAtPoolConnectionLike) => Promise<T>,
  ): Promise<T> {
    const conn = await pool.getConnection();
    try {
      return await fn(conn);
    } finally {
      conn.release();
    }
  }
  return {
    table: engine.table,
    ddl: engine.ddl,
    async migrate() {
      await pool.query(engine.ddl);
    },
    branch: (key, work) => withConnection((conn) => engine.branch(conn, key, work)),
    phaseTwo: (ctx) => withConnection((conn) => engine.phaseTwo(conn, ctx, phaseTwoOp(ctx.op))),
  };
}
