/** A service database on MariaDB/MySQL (`mysql2/promise`): the MySQL barrier and `mysqlXa`. */
import mysql from 'mysql2/promise';
import { mysqlBarrier } from '@accord/client/barrier';
import { mysqlXa } from '@accord/client/xa';
import type { ShopDatabase } from './shop-database.js';
import { xaOverSql } from './shop-database.js';
import { mysqlSql } from './sql.js';

/** Options of {@link mysqlShopDatabase}. */
export interface MysqlShopDatabaseOptions {
  /** Connection URL naming the service's database. */
  readonly url: string;
  /**
   * `formatID` of this service's XA transactions (0 to 2147483647). `XA RECOVER` lists the
   * whole server's, so every service on one server needs its own: recovery only touches
   * its own.
   */
  readonly xaFormatId: number;
  /** Most connections for requests at once (default 10), plus two for XA phase two. */
  readonly poolSize?: number;
}

/**
 * Opens a service database on MariaDB (or MySQL). An XA branch's connection is closed
 * after `XA PREPARE` (MariaDB hands the transaction over only then), so XA work opens a
 * fresh connection per branch.
 *
 * @example
 * const db = mysqlShopDatabase({ url: 'mysql://root@127.0.0.1/shop_orders', xaFormatId: 7001 });
 */
export function mysqlShopDatabase(options: MysqlShopDatabaseOptions): ShopDatabase {
  const pool = mysql.createPool({ uri: options.url, connectionLimit: options.poolSize ?? 10 });
  // Phase two, recovery and the detach check get connections of their own. Local work
  // waiting for rows a prepared branch holds can take every connection of the main pool;
  // an XA COMMIT queued behind them would then never run, and never release those rows.
  const control = mysql.createPool({ uri: options.url, connectionLimit: 2 });
  const barrier = mysqlBarrier();
  return {
    dialect: 'mysql',
    sql: mysqlSql(pool),

    async migrate(ddl) {
      for (const statement of ddl) await pool.query(statement);
      await barrier.migrate(pool);
    },

    async guarded(ctx, work) {
      const conn = await pool.getConnection();
      try {
        await conn.query('START TRANSACTION');
        const result = await barrier.run(conn, ctx, (tx) => work(mysqlSql(tx)));
        await conn.query('COMMIT');
        conn.release();
        return result;
      } catch (error) {
        try {
          await conn.query('ROLLBACK');
          conn.release();
        } catch {
          // Closing the session rolls the transaction back.
          conn.destroy();
        }
        throw error;
      }
    },

    xa: xaOverSql(mysqlXa(pool, { formatId: options.xaFormatId, control }), mysqlSql),

    async close() {
      await Promise.all([pool.end(), control.end()]);
    },
  };
}
