/**
 * The barrier on PostgreSQL, through anything with pg's `query` (a `pg.Client`, a
 * `PoolClient`, a `Pool`). Runs inside the caller's own transaction.
 */
import { barrierIdFor, countRun } from './barrier-ids.js';
import { afterInserts, classifyExisting, originOf } from './decide.js';
import { barrierSql, BARRIER_TABLE, type BarrierSql } from './sql.js';
import {
  MSG_BARRIER,
  type BarrierContext,
  type BarrierOptions,
  type BarrierResult,
  type BarrierRunOptions,
  type PreparedStatus,
} from './types.js';
import { runPgDdl } from './pg-ddl.js';
import type { PgQueryable } from './pg-queryable.js';

export type { PgQueryable } from './pg-queryable.js';

/** The barrier on PostgreSQL (see {@link pgBarrier}). */
export interface PgBarrier {
  /** The table name. */
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` statement. */
  readonly ddl: string;
  /** Creates the table if missing (safe to race). */
  migrate(db: PgQueryable): Promise<void>;
  /**
   * Runs `business` at most once per (gid, branch, op), skipping empty compensations and
   * hanging tries/actions. `tx` must be a client inside the caller's `BEGIN`: the barrier
   * rows commit or roll back with the business writes. Errors of `business` propagate.
   */
  run<T, Q extends PgQueryable = PgQueryable>(
    tx: Q,
    ctx: BarrierContext,
    business: (tx: Q) => Promise<T> | T,
    options?: BarrierRunOptions,
  ): Promise<BarrierResult<T>>;
  /**
   * msg producer: marks the local transaction `tx` (inside `BEGIN`) as the one that
   * prepared message `gid`. Fails with a unique-key error (so the transaction must roll
   * back) when a check-back already declared the message rolled back.
   */
  msg(tx: PgQueryable, gid: string): Promise<void>;
  /**
   * msg check-back: `committed` if the producer's local transaction committed, else
   * `rolledback`, in which case it never can any more. Pass the pool (or a client outside
   * any transaction): each statement then commits on its own, so the `rollback` marker is
   * durable before the answer leaves. Waits while the producer's transaction is open.
   */
  checkPrepared(db: PgQueryable, gid: string): Promise<PreparedStatus>;
}

async function insertIgnore(
  db: PgQueryable,
  sql: BarrierSql,
  values: [string, string, string, string, string],
): Promise<boolean> {
  const result = await db.query(sql.insertIgnore, values);
  return (result.rowCount ?? 0) > 0;
}

async function reasonOf(
  db: PgQueryable,
  sql: BarrierSql,
  key: [string, string, string, string],
): Promise<string | undefined> {
  const { rows } = await db.query(sql.selectReason, key);
  const row = rows[0] as { reason?: unknown } | undefined;
  return typeof row?.reason === 'string' ? row.reason : undefined;
}

async function runBarrier<T, Q extends PgQueryable>(
  sql: BarrierSql,
  tx: Q,
  ctx: BarrierContext,
  business: (tx: Q) => Promise<T> | T,
  options: BarrierRunOptions | undefined,
): Promise<BarrierResult<T>> {
  const barrierId = barrierIdFor(ctx, options);
  const origin = originOf(ctx.op);
  const originInserted =
    origin === undefined
      ? undefined
      : await insertIgnore(tx, sql, [ctx.gid, ctx.branchId, origin, barrierId, ctx.op]);
  const ownInserted = await insertIgnore(tx, sql, [
    ctx.gid,
    ctx.branchId,
    ctx.op,
    barrierId,
    ctx.op,
  ]);
  const next = afterInserts(originInserted, ownInserted);
  let result: BarrierResult<T>;
  if (next === 'apply') {
    result = { applied: true, value: await business(tx) };
  } else if (next === 'empty-compensation') {
    result = { applied: false, reason: next };
  } else {
    const reason = await reasonOf(tx, sql, [ctx.gid, ctx.branchId, ctx.op, barrierId]);
    result = { applied: false, reason: classifyExisting(ctx.op, reason) };
  }
  countRun(ctx, options);
  return result;
}

/**
 * The DTM-style sub-transaction barrier for PostgreSQL.
 *
 * @example
 * const barrier = pgBarrier();
 * await barrier.migrate(pool);
 *
 * // in a participant route (ctx from accordHandler):
 * const client = await pool.connect();
 * try {
 *   await client.query('BEGIN');
 *   await barrier.run(client, ctx, (tx) => tx.query('UPDATE account SET balance = balance - $1 WHERE id = $2', [amount, id]));
 *   await client.query('COMMIT');
 * } catch (error) {
 *   await client.query('ROLLBACK');
 *   throw error;
 * } finally {
 *   client.release();
 * }
 */
export function pgBarrier(options: BarrierOptions = {}): PgBarrier {
  const table = options.table ?? BARRIER_TABLE;
  const sql = barrierSql('postgres', table);
  return {
    table,
    ddl: sql.ddl,

    async migrate(db) {
      await runPgDdl(db, [sql.ddl]);
    },

    run(tx, ctx, business, runOptions) {
      return runBarrier(sql, tx, ctx, business, runOptions);
    },

    async msg(tx, gid) {
      const m = MSG_BARRIER;
      await tx.query(sql.insert, [gid, m.branchId, m.op, m.barrierId, m.committed]);
    },

    async checkPrepared(db, gid) {
      const m = MSG_BARRIER;
      if (await insertIgnore(db, sql, [gid, m.branchId, m.op, m.barrierId, m.rollback])) {
        return 'rolledback';
      }
      const reason = await reasonOf(db, sql, [gid, m.branchId, m.op, m.barrierId]);
      if (reason === undefined) {
        throw new Error(
          `barrier row of ${gid} exists but is not visible: call checkPrepared outside a repeatable-read transaction`,
        );
      }
      return reason === m.rollback ? 'rolledback' : 'committed';
    },
  };
}
