/**
 * The barrier on SQLite through better-sqlite3 (or anything with its synchronous
 * `prepare(sql).run/get`). Runs inside the caller's own `db.transaction(...)`.
 */
import { barrierIdFor, countRun } from './barrier-ids.js';
import { afterInserts, classifyExisting, originOf } from './decide.js';
import { barrierSql, BARRIER_TABLE } from './sql.js';
import {
  MSG_BARRIER,
  type BarrierContext,
  type BarrierOptions,
  type BarrierResult,
  type BarrierRunOptions,
  type PreparedStatus,
} from './types.js';

/** What the barrier needs of a prepared statement. */
export interface SqliteStatementLike {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
}

/**
 * What the barrier needs of a database handle: better-sqlite3's `Database` fits.
 *
 * @example
 * const db: SqliteDatabaseLike = new Database('app.db');
 */
export interface SqliteDatabaseLike {
  prepare(sql: string): SqliteStatementLike;
  /** When present, the barrier refuses to run outside a transaction. */
  readonly inTransaction?: boolean;
}

/** Rejects a callback returning a promise: its work would land after the commit. */
export type Synchronous<T> = T extends PromiseLike<unknown> ? never : T;

/** The barrier on SQLite (see {@link sqliteBarrier}). */
export interface SqliteBarrier {
  /** The table name. */
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` statement. */
  readonly ddl: string;
  /** Creates the table if missing. */
  migrate(db: SqliteDatabaseLike): void;
  /**
   * Runs the synchronous `business` at most once per (gid, branch, op), skipping empty
   * compensations and hanging tries/actions. Call it inside `db.transaction(...)`: the
   * barrier rows commit or roll back with the business writes. Errors propagate.
   */
  run<T>(
    db: SqliteDatabaseLike,
    ctx: BarrierContext,
    business: () => Synchronous<T>,
    options?: BarrierRunOptions,
  ): BarrierResult<T>;
  /**
   * msg producer: marks the enclosing local transaction as the one that prepared message
   * `gid`. Throws a unique-key error (rolling the transaction back) when a check-back
   * already declared the message rolled back.
   */
  msg(db: SqliteDatabaseLike, gid: string): void;
  /**
   * msg check-back: `committed` if the producer's local transaction committed, else
   * `rolledback`, after which it never can. Call it outside any transaction.
   */
  checkPrepared(db: SqliteDatabaseLike, gid: string): PreparedStatus;
}

function requireTransaction(db: SqliteDatabaseLike, what: string): void {
  if (db.inTransaction === false) {
    throw new Error(`sqliteBarrier.${what} must be called inside db.transaction(...)`);
  }
}

/** A per-database cache of prepared statements. */
function statementCache(): (db: SqliteDatabaseLike, text: string) => SqliteStatementLike {
  const cache = new WeakMap<SqliteDatabaseLike, Map<string, SqliteStatementLike>>();
  return (db: SqliteDatabaseLike, text: string): SqliteStatementLike => {
    let forDb = cache.get(db);
    if (!forDb) {
      forDb = new Map();
      cache.set(db, forDb);
    }
    let statement = forDb.get(text);
    if (!statement) {
      statement = db.prepare(text);
      forDb.set(text, statement);
    }
    return statement;
  };
}

/**
 * The DTM-style sub-transaction barrier for SQLite (better-sqlite3, synchronous).
 *
 * @example
 * const barrier = sqliteBarrier();
 * barrier.migrate(db);
 *
 * // in a participant route (ctx from accordHandler):
 * const result = db.transaction(() =>
 *   barrier.run(db, ctx, () => db.prepare('UPDATE account SET balance = balance - ? WHERE id = ?').run(amount, id)),
 * )();
 */
export function sqliteBarrier(options: BarrierOptions = {}): SqliteBarrier {
  const table = options.table ?? BARRIER_TABLE;
  const sql = barrierSql('sqlite', table);
  const stmt = statementCache();
  const insertIgnore = (db: SqliteDatabaseLike, ...values: string[]): boolean =>
    stmt(db, sql.insertIgnore).run(...values).changes > 0;
  const reasonOf = (db: SqliteDatabaseLike, ...key: string[]): string | undefined => {
    const row = stmt(db, sql.selectReason).get(...key) as { reason?: unknown } | undefined;
    return typeof row?.reason === 'string' ? row.reason : undefined;
  };

  return {
    table,
    ddl: sql.ddl,

    migrate(db) {
      db.prepare(sql.ddl).run();
    },

    run<T>(
      db: SqliteDatabaseLike,
      ctx: BarrierContext,
      business: () => Synchronous<T>,
      runOptions?: BarrierRunOptions,
    ): BarrierResult<T> {
      requireTransaction(db, 'run');
      const barrierId = barrierIdFor(ctx, runOptions);
      const origin = originOf(ctx.op);
      const originInserted =
        origin === undefined
          ? undefined
          : insertIgnore(db, ctx.gid, ctx.branchId, origin, barrierId, ctx.op);
      const ownInserted = insertIgnore(db, ctx.gid, ctx.branchId, ctx.op, barrierId, ctx.op);
      const next = afterInserts(originInserted, ownInserted);
      let result: BarrierResult<T>;
      if (next === 'apply') {
        const value: unknown = business();
        if (typeof (value as { then?: unknown } | null)?.then === 'function') {
          throw new TypeError(
            'sqliteBarrier.run needs a synchronous business function (better-sqlite3 transactions cannot span an await)',
          );
        }
        result = { applied: true, value: value as T };
      } else if (next === 'empty-compensation') {
        result = { applied: false, reason: next };
      } else {
        const reason = reasonOf(db, ctx.gid, ctx.branchId, ctx.op, barrierId);
        result = { applied: false, reason: classifyExisting(ctx.op, reason) };
      }
      countRun(ctx, runOptions);
      return result;
    },

    msg(db, gid) {
      requireTransaction(db, 'msg');
      const m = MSG_BARRIER;
      stmt(db, sql.insert).run(gid, m.branchId, m.op, m.barrierId, m.committed);
    },

    checkPrepared(db, gid) {
      const m = MSG_BARRIER;
      if (insertIgnore(db, gid, m.branchId, m.op, m.barrierId, m.rollback)) return 'rolledback';
      return reasonOf(db, gid, m.branchId, m.op, m.barrierId) === m.committed
        ? 'committed'
        : 'rolledback';
    },
  };
}
