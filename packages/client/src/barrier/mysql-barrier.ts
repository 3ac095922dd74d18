/**
 * The barrier on MySQL and MariaDB (InnoDB), through anything with mysql2/promise's `query`
 * (a `Connection`, a `PoolConnection`, a `Pool`). Runs inside the caller's own transaction.
 */
import { ValidationError, type FieldIssue } from '@accord/core';
import { barrierIdFor, countRun } from './barrier-ids.js';
import { afterInserts, classifyExisting, originOf } from './decide.js';
import { BARRIER_KEY_LIMITS, barrierSql, BARRIER_TABLE, type BarrierSql } from './sql.js';
import {
  MSG_BARRIER,
  type BarrierContext,
  type BarrierOptions,
  type BarrierResult,
  type BarrierRunOptions,
  type PreparedStatus,
} from './types.js';

/**
 * What the barrier needs of a mysql2/promise connection: `query` with positional values,
 * resolving to `[result, fields]`, where the result of an INSERT has `affectedRows` (and
 * `serverStatus`) and that of a SELECT is the array of rows.
 *
 * @example
 * const conn: MysqlQueryable = await pool.getConnection();
 */
export interface MysqlQueryable {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

/** The barrier on MySQL/MariaDB (see {@link mysqlBarrier}). */
export interface MysqlBarrier {
  /** The table name. */
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` statement (InnoDB, utf8mb4, binary collation). */
  readonly ddl: string;
  /**
   * Creates the table if missing (safe to race). DDL commits implicitly on MySQL: call it
   * outside any transaction.
   */
  migrate(db: MysqlQueryable): Promise<void>;
  /**
   * Runs `business` at most once per (gid, branch, op), skipping empty compensations and
   * hanging tries/actions. `tx` must be a connection inside the caller's
   * `beginTransaction()`: the barrier rows commit or roll back with the business writes.
   * Errors of `business` propagate. Throws `ValidationError` for a key longer than its
   * column (gid 128, branch and barrier ids 64 characters), which `INSERT IGNORE` would
   * truncate, or ending in a space, which the PAD SPACE collation would ignore.
   */
  run<T, Q extends MysqlQueryable = MysqlQueryable>(
    tx: Q,
    ctx: BarrierContext,
    business: (tx: Q) => Promise<T> | T,
    options?: BarrierRunOptions,
  ): Promise<BarrierResult<T>>;
  /**
   * msg producer: marks the local transaction `tx` (inside `beginTransaction()`) as the one
   * that prepared message `gid`. Fails with a duplicate-key error (`ER_DUP_ENTRY`, so the
   * transaction must roll back) when a check-back already declared the message rolled back.
   */
  msg(tx: MysqlQueryable, gid: string): Promise<void>;
  /**
   * msg check-back: `committed` if the producer's local transaction committed, else
   * `rolledback`, in which case it never can any more. Pass the pool (or a connection in
   * autocommit, outside any transaction): each statement then commits on its own, so the
   * `rollback` marker is durable before the answer leaves; a marker written inside an open
   * transaction is refused with an error instead of answered. Waits while the producer's
   * transaction is open (InnoDB's lock on the key it inserted), up to
   * `innodb_lock_wait_timeout`.
   */
  checkPrepared(db: MysqlQueryable, gid: string): Promise<PreparedStatus>;
}

/** `SERVER_STATUS_IN_TRANS` of the MySQL protocol's OK packet. */
const IN_TRANSACTION = 0x0001;

interface Header {
  affectedRows?: unknown;
  serverStatus?: unknown;
}

/** The four key values of a barrier row. */
export type MysqlBarrierKey = [gid: string, branchId: string, op: string, barrierId: string];

/**
 * Refuses values that would silently collide with another key: too long (`INSERT IGNORE`
 * truncates) or ending in a space (`utf8mb4_bin` is a PAD SPACE collation, so `'a '`
 * equals `'a'`). Throws `ValidationError`.
 */
export function checkMysqlBarrierKey([gid, branchId, op, barrierId]: MysqlBarrierKey): void {
  const L = BARRIER_KEY_LIMITS;
  const fields: [string, string, number][] = [
    ['gid', gid, L.gid],
    ['branchId', branchId, L.id],
    ['op', op, L.short],
    ['barrierId', barrierId, L.id],
  ];
  const issues: FieldIssue[] = [];
  for (const [path, value, max] of fields) {
    if ([...value].length > max)
      issues.push({ path, message: `must be at most ${max} characters` });
    else if (value.endsWith(' ')) issues.push({ path, message: 'must not end with a space' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

async function insertIgnore(
  db: MysqlQueryable,
  sql: BarrierSql,
  key: MysqlBarrierKey,
  reason: string,
): Promise<Header> {
  const [header] = await db.query(sql.insertIgnore, [...key, reason]);
  return header ?? {};
}

const inserted = (header: Header): boolean =>
  typeof header.affectedRows === 'number' && header.affectedRows > 0;

async function reasonOf(
  db: MysqlQueryable,
  sql: BarrierSql,
  key: MysqlBarrierKey,
): Promise<string | undefined> {
  const [rows] = await db.query(sql.selectReason, key);
  const row = (Array.isArray(rows) ? rows[0] : undefined) as { reason?: unknown } | undefined;
  return typeof row?.reason === 'string' ? row.reason : undefined;
}

async function runBarrier<T, Q extends MysqlQueryable>(
  sql: BarrierSql,
  tx: Q,
  ctx: BarrierContext,
  business: (tx: Q) => Promise<T> | T,
  options: BarrierRunOptions | undefined,
): Promise<BarrierResult<T>> {
  const barrierId = barrierIdFor(ctx, options);
  const own: MysqlBarrierKey = [ctx.gid, ctx.branchId, ctx.op, barrierId];
  checkMysqlBarrierKey(own);
  const origin = originOf(ctx.op);
  const originInserted =
    origin === undefined
      ? undefined
      : inserted(await insertIgnore(tx, sql, [ctx.gid, ctx.branchId, origin, barrierId], ctx.op));
  const ownInserted = inserted(await insertIgnore(tx, sql, own, ctx.op));
  const next = afterInserts(originInserted, ownInserted);
  let result: BarrierResult<T>;
  if (next === 'apply') {
    result = { applied: true, value: await business(tx) };
  } else if (next === 'empty-compensation') {
    result = { applied: false, reason: next };
  } else {
    result = { applied: false, reason: classifyExisting(ctx.op, await reasonOf(tx, sql, own)) };
  }
  countRun(ctx, options);
  return result;
}

/**
 * The DTM-style sub-transaction barrier for MySQL and MariaDB (mysql2/promise).
 *
 * @example
 * const barrier = mysqlBarrier();
 * await barrier.migrate(pool);
 *
 * // in a participant route (ctx from accordHandler):
 * const conn = await pool.getConnection();
 * try {
 *   await conn.beginTransaction();
 *   await barrier.run(conn, ctx, (tx) => tx.query('UPDATE account SET balance = balance - ? WHERE id = ?', [amount, id]));
 *   await conn.commit();
 * } catch (error) {
 *   await conn.rollback();
 *   throw error;
 * } finally {
 *   conn.release();
 * }
 */
export function mysqlBarrier(options: BarrierOptions = {}): MysqlBarrier {
  const table = options.table ?? BARRIER_TABLE;
  const sql = barrierSql('mysql', table);
  const m = MSG_BARRIER;
  const msgKey = (gid: string): MysqlBarrierKey => {
    const key: MysqlBarrierKey = [gid, m.branchId, m.op, m.barrierId];
    checkMysqlBarrierKey(key);
    return key;
  };
  return {
    table,
    ddl: sql.ddl,

    async migrate(db) {
      await db.query(sql.ddl);
    },

    run(tx, ctx, business, runOptions) {
      return runBarrier(sql, tx, ctx, business, runOptions);
    },

    async msg(tx, gid) {
      await tx.query(sql.insert, [...msgKey(gid), m.committed]);
    },

    async checkPrepared(db, gid) {
      const key = msgKey(gid);
      const header = await insertIgnore(db, sql, key, m.rollback);
      if (inserted(header)) {
        if (typeof header.serverStatus === 'number' && header.serverStatus & IN_TRANSACTION) {
          throw new Error(
            `the rollback marker of ${gid} was written inside an open transaction: call checkPrepared with a pool or a connection in autocommit`,
          );
        }
        return 'rolledback';
      }
      const reason = await reasonOf(db, sql, key);
      if (reason === undefined) {
        throw new Error(`barrier row of ${gid} exists but could not be read`);
      }
      return reason === m.rollback ? 'rolledback' : 'committed';
    },
  };
}
