/** A service database on PostgreSQL (`pg`): the PostgreSQL barrier and `pgXa`. */
import pg from 'pg';
import { pgBarrier } from '@accord/client/barrier';
import { pgXa } from '@accord/client/xa';
import type { ShopDatabase } from './shop-database.js';
import { xaOverSql } from './shop-database.js';
import { pgSql } from './sql.js';

/** Options of {@link pgShopDatabase}. */
export interface PgShopDatabaseOptions {
  /** Connection URL; it may pin a schema with `options=-c search_path=<schema>`. */
  readonly url: string;
  /**
   * Mark of this service's prepared transactions (1-32 of `A-Z a-z 0-9 _ -`). Services
   * sharing one PostgreSQL database need different ones: recovery only touches its own.
   */
  readonly xaPrefix: string;
  /** Most connections for requests at once (default 10), plus two for XA phase two. */
  readonly poolSize?: number;
}

/**
 * Opens a service database on PostgreSQL. Prepared transactions need
 * `max_prepared_transactions > 0` on the server.
 *
 * @example
 * const db = pgShopDatabase({ url: 'postgres://postgres@127.0.0.1/test', xaPrefix: 'stock' });
 */
export function pgShopDatabase(options: PgShopDatabaseOptions): ShopDatabase {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // Phase two and recovery get connections of their own. Local work waiting for rows a
  // prepared branch holds can take every connection of the main pool; a COMMIT PREPARED
  // queued behind them would then never run, and never release those rows.
  const control = new pg.Pool({ connectionString: options.url, max: 2 });
  // An idle connection the server drops must not crash the service.
  pool.on('error', () => undefined);
  control.on('error', () => undefined);
  const barrier = pgBarrier();
  return {
    dialect: 'postgres',
    sql: pgSql(pool),

    async migrate(ddl) {
      for (const statement of ddl) await pool.query(statement);
      await barrier.migrate(pool);
    },

    async guarded(ctx, work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await barrier.run(client, ctx, (tx) => work(pgSql(tx)));
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch (rollbackError) {
          client.release(rollbackError instanceof Error ? rollbackError : true);
        }
        throw error;
      }
    },

    xa: xaOverSql(pgXa<pg.PoolClient>(pool, { prefix: options.xaPrefix, control }), pgSql),

    async close() {
      await Promise.all([pool.end(), control.end()]);
    },
  };
}
