/**
 * One service's database as the service sees it, whatever the engine: plain statements,
 * barrier-guarded local transactions for saga branches, and XA branches.
 */
import type { BarrierContext, BarrierResult } from '@accord/client/barrier';
import type { XaParticipant } from '@accord/client/xa';
import type { Dialect } from './schema.js';
import type { Sql } from './sql.js';

/**
 * A service's own database.
 *
 * @example
 * const db = pgShopDatabase({ url, xaPrefix: 'stock-1' });
 * await db.migrate(shopDdl('stock', db.dialect));
 * await db.guarded(ctx, (tx) => tx.exec('UPDATE stock SET available = available - ? WHERE sku = ?', [1, 'tea']));
 */
export interface ShopDatabase {
  readonly dialect: Dialect;
  /** Statements outside any transaction: DDL, seeding, reads. */
  readonly sql: Sql;
  /** Runs the DDL in order, then creates the barrier table. */
  migrate(ddl: readonly string[]): Promise<void>;
  /**
   * Runs `work` in one local transaction guarded by the sub-transaction barrier: at most
   * once per (gid, branch, op), never a compensation without its action, never an action
   * after its compensation. Commits, or rolls back and rethrows when `work` throws.
   */
  guarded<T>(ctx: BarrierContext, work: (tx: Sql) => Promise<T>): Promise<BarrierResult<T>>;
  /** XA branches in this database; local work gets the branch's connection as {@link Sql}. */
  readonly xa: XaParticipant<Sql>;
  /** Closes the pool. */
  close(): Promise<void>;
}

/**
 * An XA participant whose local work gets {@link Sql} rather than the driver's connection.
 *
 * @example
 * const xa = xaOverSql(pgXa<pg.PoolClient>(pool), pgSql);
 */
export function xaOverSql<C, Q>(
  xa: XaParticipant<C, Q>,
  toSql: (connection: C) => Sql,
): XaParticipant<Sql, Q> {
  return {
    table: xa.table,
    ddl: xa.ddl,
    migrate: (db) => xa.migrate(db),
    local: (ctx, work) => xa.local(ctx, (connection) => work(toSql(connection))),
    phaseTwo: (ctx) => xa.phaseTwo(ctx),
    preparedXids: () => xa.preparedXids(),
    recover: (decide) => xa.recover(decide),
  };
}
