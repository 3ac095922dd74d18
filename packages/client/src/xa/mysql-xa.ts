/**
 * XA branches on MariaDB (and MySQL) through a mysql2/promise pool: local work runs
 * between `XA START` and `XA END` and is left by `XA PREPARE`; phase two is `XA COMMIT`
 * or `XA ROLLBACK`; `XA RECOVER` lists what is prepared.
 *
 * How MariaDB 10.11 treats a prepared XA transaction (checked against a real server;
 * MySQL 8 documents the same detach-on-disconnect rule but is not covered by the tests):
 * - While the session that prepared it stays connected, the transaction belongs to that
 *   session. Any other session gets `XAER_NOTA` (1397, "Unknown XID") from `XA COMMIT` and
 *   `XA ROLLBACK`, the very answer an unknown xid gets, even though `XA RECOVER` in that
 *   other session lists it. The preparing session itself may not touch tables any more
 *   (`XAER_RMFAIL`, 1399), so such a connection must not go back to the pool.
 * - When that session disconnects, the transaction is detached, not rolled back: it
 *   stays prepared, holding its locks, and any session can finish it.
 * - The detach happens when the server has processed the disconnect, a little after the
 *   client closed its socket: an `XA COMMIT` sent at once from another session still gets
 *   1397. Once the thread is gone from the process list, the commit works.
 * - Prepared transactions survive a clean shutdown and a crash (`kill -9`), attached or
 *   not: InnoDB restores them at startup, `XA RECOVER` lists them and any session can
 *   finish them.
 * - A read-only branch (work that wrote nothing) is listed by `XA RECOVER` like any other,
 *   but once detached, `XA COMMIT` and `XA ROLLBACK` both answer `XA_RBROLLBACK` (1402)
 *   and forget it: there was nothing to keep. Phase two counts that as done.
 *
 * So `local` closes the connection after `XA PREPARE` (it is never returned to the pool)
 * and waits until the server has let go of it; `phaseTwo` reads a 1397 as "already done"
 * only when `XA RECOVER` does not list the xid, and otherwise waits for the detach, then
 * fails (so the coordinator retries) if it does not come.
 */
import { checkMysqlBarrierKey, type MysqlQueryable } from '../barrier/mysql-barrier.js';
import {
  contradiction,
  DEFAULT_BUSY_TIMEOUT_MS,
  explainMissingTable,
  ledgerKey,
  ledgerState,
  repeatedCall,
  retryWhileBusy,
  stillBusy,
  XA_LEDGER,
  type LedgerState,
  type XaLocalResult,
} from './ledger.js';
import { mysqlLedgerSql } from './ledger-sql.js';
import { recoverPrepared, type PreparedBranch, type RecoveryDecider } from './recover.js';
import { doneOutcome, phaseTwoAction, type XaParticipant } from './types.js';
import {
  ACCORD_FORMAT_ID,
  checkFormatId,
  describeBranch,
  mysqlXidSql,
  parseMysqlXid,
  type XaBranchKey,
  type XaRecoverRow,
} from './xid.js';

/**
 * What the helper needs of a mysql2/promise pool connection: `query`, `release` (back to
 * the pool) and `destroy` (close it).
 */
export interface MysqlPoolConnectionLike extends MysqlQueryable {
  release(): void;
  destroy(): void;
}

/**
 * What the helper needs of a mysql2/promise pool: a connection per local transaction,
 * and `query` for phase two, recovery and the detach check.
 *
 * @example
 * const pool: MysqlPoolLike = mysql.createPool({ uri });
 */
export interface MysqlPoolLike<
  C extends MysqlPoolConnectionLike = MysqlPoolConnectionLike,
> extends MysqlQueryable {
  getConnection(): Promise<C>;
}

/** Options of {@link mysqlXa}. */
export interface MysqlXaOptions {
  /**
   * `formatID` of this service's xids (default {@link ACCORD_FORMAT_ID}). `XA RECOVER`
   * lists the prepared transactions of the whole server: services sharing one server
   * with different coordinators need different format ids. They keep recovery listings
   * apart but not identities: MariaDB 10.11 refuses a second XA transaction with the same
   * gid and branch id (`XAER_DUPID`) whatever its format id, so such services must also
   * use different branch ids (or gids).
   */
  formatId?: number;
  /**
   * How long `local` waits for the server to detach a prepared transaction from its
   * closed connection, and `phaseTwo` for one still attached, ms (default 5000).
   */
  detachTimeoutMs?: number;
  /** The clock for ages of prepared branches (default `Date.now`); timeouts use the real one. */
  now?: () => number;
  /**
   * Where phase two, recovery and the detach check run (default: the pool itself). Give
   * them a small pool of their own under concurrency: local work waiting on rows that
   * prepared branches hold can take every connection of a shared pool, and the phase two
   * that would free those rows then never gets one.
   */
  control?: MysqlQueryable;
  /** The ledger's table, optionally database-qualified (default `accord_barrier`). */
  table?: string;
  /**
   * How long a repeated local-work call waits for another call of the same branch to
   * prepare or finish, and how long a rollback waits for one to get out of its way, ms
   * (default 5000).
   */
  busyTimeoutMs?: number;
}

const DEFAULTS = {
  formatId: ACCORD_FORMAT_ID,
  detachTimeoutMs: 5000,
  now: Date.now,
  table: 'accord_barrier',
  busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS,
};

/** `ER_XAER_NOTA`: unknown xid (or one held by another live session). */
const XAER_NOTA = 1397;
/** `ER_XA_RBROLLBACK`: the branch was rolled back (what a read-only branch answers). */
const XA_RBROLLBACK = 1402;
/** `ER_XAER_DUPID`: the xid is in use by another session's XA transaction. */
const XAER_DUPID = 1440;
/** `ER_DUP_ENTRY`: the ledger row exists. */
const DUP_ENTRY = 1062;
/** `ER_LOCK_WAIT_TIMEOUT`: another transaction holds the ledger row. */
const LOCK_WAIT_TIMEOUT = 1205;
/** `ER_LOCK_DEADLOCK`: two calls of one branch raced for its ledger row. */
const LOCK_DEADLOCK = 1213;
/** `ER_NO_SUCH_TABLE`. */
const NO_SUCH_TABLE = 1146;
/**
 * Seconds a ledger write waits for a row another transaction holds (the least MySQL
 * accepts): a prepared holder would otherwise keep it waiting until phase two.
 */
const LEDGER_LOCK_WAIT_S = 1;
const POLL_MS = 5;

function errnoOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { errno?: unknown }).errno
    : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rowsOf(result: [unknown, unknown]): Record<string, unknown>[] {
  const [rows] = result;
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

/** A connection's id and lock wait, read before the ledger shortens the wait. */
interface SessionRow {
  id?: unknown;
  wait?: unknown;
}

/**
 * XA branches on MariaDB/MySQL (InnoDB). `C` is the pool's connection type, which
 * `local` hands to the work. Needs no privilege beyond the tables' on MariaDB; MySQL 8
 * wants `XA_RECOVER_ADMIN` for `XA RECOVER`.
 *
 * Each branch is guarded by its ledger row (see {@link XaParticipant}): the local work
 * inserts it inside the XA transaction, so a prepared branch holds it until phase two,
 * and every other writer of that row waits at most a second for it before it looks again.
 *
 * @example
 * const xa = mysqlXa(mysql.createPool({ uri }));
 * await xa.migrate(pool);
 * // local-work route (op try):
 * accordHandler(xaLocalHandler(xa, (conn, body: Transfer) =>
 *   conn.query('UPDATE account SET balance = balance - ? WHERE id = ?', [body.amount, body.from]),
 * ));
 * // commit and rollback routes:
 * accordHandler(xaPhaseTwoHandler(xa));
 */
export function mysqlXa<C extends MysqlPoolConnectionLike = MysqlPoolConnectionLike>(
  pool: MysqlPoolLike<C>,
  options: MysqlXaOptions = {},
): XaParticipant<C, MysqlQueryable> {
  const opts = { ...DEFAULTS, ...options } satisfies MysqlXaOptions;
  checkFormatId(opts.formatId);
  const control = options.control ?? pool;
  const sql = mysqlLedgerSql(opts.table);
  const mark = String(opts.formatId);
  /** When recovery first saw each xid (MariaDB keeps no preparation time). */
  const firstSeen = new Map<string, number>();

  const explained = (error: unknown): unknown =>
    explainMissingTable(error, sql.table, errnoOf(error) === NO_SUCH_TABLE);

  const keyOf = (branch: XaBranchKey) => {
    const key = ledgerKey(branch, mark);
    checkMysqlBarrierKey(key);
    return key;
  };

  const listed = async (): Promise<{ key: XaBranchKey; xid: string }[]> => {
    const found: { key: XaBranchKey; xid: string }[] = [];
    for (const row of rowsOf(await control.query('XA RECOVER')) as XaRecoverRow[]) {
      const key = parseMysqlXid(row, opts.formatId);
      if (key) found.push({ key, xid: mysqlXidSql(key, opts.formatId) });
    }
    return found;
  };
  const isListed = async (xid: string) => (await listed()).some((f) => f.xid === xid);
  /** Another call holds the branch: a duplicate if it has prepared, else try again. */
  const busyOrPrepared = async <T>(xid: string): Promise<XaLocalResult<T> | undefined> =>
    (await isListed(xid)) ? { applied: false, reason: 'duplicate', state: 'prepared' } : undefined;

  /** Waits until the server thread of a closed connection is gone (detach done). */
  const waitGone = async (threadId: number): Promise<void> => {
    const deadline = Date.now() + opts.detachTimeoutMs;
    while (Date.now() <= deadline) {
      const rows = rowsOf(
        await control.query(
          'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
          [threadId],
        ),
      );
      if (Number(rows[0]?.['n']) === 0) return;
      await sleep(POLL_MS);
    }
  };

  const preparedXids = async (): Promise<PreparedBranch[]> => {
    const now = opts.now();
    const found = await listed();
    const still = new Set(found.map((f) => f.xid));
    for (const xid of firstSeen.keys()) if (!still.has(xid)) firstSeen.delete(xid);
    return found.map(({ key, xid }) => {
      const seen = firstSeen.get(xid) ?? now;
      firstSeen.set(xid, seen);
      return { ...key, xid, ageMs: now - seen };
    });
  };

  const reasonIn = async (db: MysqlQueryable, text: string, branch: XaBranchKey) => {
    const reason = rowsOf(await db.query(text, keyOf(branch)))[0]?.['reason'];
    return reason === undefined ? undefined : ledgerState(branch, reason);
  };

  /** Ends and rolls back the XA transaction a failed attempt started, then gives back `conn`. */
  const abandon = async (conn: C, xid: string, wait: number): Promise<void> => {
    await conn.query(`XA END ${xid}`).catch(() => undefined);
    try {
      await conn.query(`XA ROLLBACK ${xid}`);
      await conn.query('SET SESSION innodb_lock_wait_timeout = ?', [wait]);
      conn.release();
    } catch {
      // Not prepared, so closing the session rolls it back.
      conn.destroy();
    }
  };

  /**
   * One attempt: starts the XA transaction, claims the ledger row and, when it is ours,
   * runs the work and prepares. `undefined` when another call holds the branch and has
   * not prepared yet (try again).
   */
  const attemptLocal = async <T>(
    ctx: XaBranchKey,
    work: (connection: C) => Promise<T>,
  ): Promise<XaLocalResult<T> | undefined> => {
    const xid = mysqlXidSql(ctx, opts.formatId);
    const key = keyOf(ctx);
    const conn = await pool.getConnection();
    let session: SessionRow;
    try {
      session =
        rowsOf(
          await conn.query(
            'SELECT CONNECTION_ID() AS id, @@SESSION.innodb_lock_wait_timeout AS wait',
          ),
        )[0] ?? {};
      await conn.query(`SET SESSION innodb_lock_wait_timeout = ${LEDGER_LOCK_WAIT_S}`);
    } catch (error) {
      conn.destroy();
      throw error;
    }
    const wait = Number(session.wait);
    try {
      await conn.query(`XA START ${xid}`);
    } catch (error) {
      // The xid is in use: another call of this branch is running or prepared.
      if (errnoOf(error) !== XAER_DUPID) {
        conn.destroy();
        throw error;
      }
      await conn.query('SET SESSION innodb_lock_wait_timeout = ?', [wait]).then(
        () => conn.release(),
        () => conn.destroy(),
      );
      return busyOrPrepared(xid);
    }
    try {
      await conn.query(sql.insert, [...key, XA_LEDGER.committed]);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === DUP_ENTRY) {
        const state = await reasonIn(conn, sql.selectReason, ctx).finally(() =>
          abandon(conn, xid, wait),
        );
        return state === undefined ? undefined : repeatedCall(ctx, state);
      }
      await abandon(conn, xid, wait);
      if (errno === LOCK_WAIT_TIMEOUT || errno === LOCK_DEADLOCK) return busyOrPrepared(xid);
      throw explained(error);
    }
    let value: T;
    try {
      await conn.query('SET SESSION innodb_lock_wait_timeout = ?', [wait]);
      value = await work(conn);
      await conn.query(`XA END ${xid}`);
      await conn.query(`XA PREPARE ${xid}`);
    } catch (error) {
      await abandon(conn, xid, wait);
      throw error;
    }
    // The session holding a prepared transaction is useless to the pool, and only its
    // disconnect lets other sessions finish the transaction.
    conn.destroy();
    await waitGone(Number(session.id)).catch(() => undefined);
    return { applied: true, value };
  };

  /** XA COMMIT/ROLLBACK; `undefined` when the server no longer knows the xid. */
  const finish = async (ctx: XaBranchKey, action: 'commit' | 'rollback') => {
    const xid = mysqlXidSql(ctx, opts.formatId);
    const deadline = Date.now() + opts.detachTimeoutMs;
    for (;;) {
      try {
        await control.query(`XA ${action === 'commit' ? 'COMMIT' : 'ROLLBACK'} ${xid}`);
        return doneOutcome(action);
      } catch (error) {
        // A read-only branch has nothing to keep: the server drops it and says so.
        if (errnoOf(error) === XA_RBROLLBACK) return doneOutcome(action);
        if (errnoOf(error) !== XAER_NOTA) throw error;
      }
      if (!(await isListed(xid))) return undefined;
      if (Date.now() > deadline) {
        throw new Error(
          `branch ${describeBranch(ctx)} is prepared but still held by the session that ` +
            'prepared it; only that session can finish it until it disconnects (try again later)',
        );
      }
      await sleep(POLL_MS * 4);
    }
  };

  /**
   * Writes the ledger's rollback marker on a connection of its own, waiting at most a
   * second for a row another call holds. `undefined` when one does (try again).
   */
  const markRolledBack = async (ctx: XaBranchKey): Promise<LedgerState | undefined> => {
    const conn = await pool.getConnection();
    let wait: number;
    try {
      wait = Number(
        rowsOf(await conn.query('SELECT @@SESSION.innodb_lock_wait_timeout AS wait'))[0]?.['wait'],
      );
      await conn.query(`SET SESSION innodb_lock_wait_timeout = ${LEDGER_LOCK_WAIT_S}`);
    } catch (error) {
      conn.destroy();
      throw error;
    }
    try {
      const [header] = await conn.query(sql.insertIgnore, [...keyOf(ctx), XA_LEDGER.rolledBack]);
      const affected = (header as { affectedRows?: unknown } | undefined)?.affectedRows;
      return typeof affected === 'number' && affected > 0
        ? 'rolled-back'
        : await reasonIn(conn, sql.readReason, ctx);
    } catch (error) {
      if (errnoOf(error) === LOCK_WAIT_TIMEOUT || errnoOf(error) === LOCK_DEADLOCK) {
        return undefined;
      }
      throw explained(error);
    } finally {
      try {
        await conn.query('SET SESSION innodb_lock_wait_timeout = ?', [wait]);
        conn.release();
      } catch {
        conn.destroy();
      }
    }
  };

  const xa: XaParticipant<C, MysqlQueryable> = {
    table: sql.table,
    ddl: sql.ddl,

    async migrate(db) {
      await db.query(sql.ddl);
    },

    async local(ctx, work) {
      keyOf(ctx);
      mysqlXidSql(ctx, opts.formatId); // refuses over-long ids before any connection is taken
      return retryWhileBusy(
        opts.busyTimeoutMs,
        () => attemptLocal(ctx, work),
        (waited) => stillBusy(ctx, waited),
      );
    },

    async phaseTwo(ctx) {
      const action = phaseTwoAction(ctx);
      if (action === 'commit') {
        const done = await finish(ctx, action);
        if (done !== undefined) return done;
        const state = await reasonIn(control, sql.readReason, ctx).catch((error: unknown) => {
          throw explained(error);
        });
        if (state === 'committed') return 'already-done';
        throw contradiction(ctx, 'commit', state);
      }
      let outcome: 'rolledback' | 'already-done' = 'already-done';
      await retryWhileBusy(
        opts.busyTimeoutMs,
        async () => {
          // A local-work call holding the row may have prepared since the last round.
          if ((await finish(ctx, action)) !== undefined) outcome = 'rolledback';
          const state = await markRolledBack(ctx);
          if (state === 'committed') throw contradiction(ctx, 'rollback', state);
          return state;
        },
        (waited) =>
          new Error(
            `could not roll back xa branch ${describeBranch(ctx)}: a local-work call of it ` +
              `kept running for ${waited} ms; try again later`,
          ),
      );
      return outcome;
    },

    preparedXids,

    recover(decide: RecoveryDecider) {
      return recoverPrepared(
        {
          list: preparedXids,
          finish: (branch, decision) => xa.phaseTwo({ ...branch, op: decision }),
        },
        decide,
      );
    },
  };
  return xa;
}
