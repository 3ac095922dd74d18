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
import type { MysqlQueryable } from '../barrier/mysql-barrier.js';
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
}

const DEFAULTS = { formatId: ACCORD_FORMAT_ID, detachTimeoutMs: 5000, now: Date.now };

/** `ER_XAER_NOTA`: unknown xid (or one held by another live session). */
const XAER_NOTA = 1397;
/** `ER_XA_RBROLLBACK`: the branch was rolled back (what a read-only branch answers). */
const XA_RBROLLBACK = 1402;
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

/**
 * XA branches on MariaDB/MySQL (InnoDB). `C` is the pool's connection type, which
 * `local` hands to the work. Needs no privilege beyond the tables' on MariaDB; MySQL 8
 * wants `XA_RECOVER_ADMIN` for `XA RECOVER`.
 *
 * @example
 * const xa = mysqlXa(mysql.createPool({ uri }));
 * // local-work route (op try):
 * accordHandler(async (ctx, body: Transfer) =>
 *   xa.local(ctx, (conn) => conn.query('UPDATE account SET balance = balance - ? WHERE id = ?', [body.amount, body.from])),
 * );
 * // commit and rollback routes:
 * accordHandler(xaPhaseTwoHandler(xa));
 */
export function mysqlXa<C extends MysqlPoolConnectionLike = MysqlPoolConnectionLike>(
  pool: MysqlPoolLike<C>,
  options: MysqlXaOptions = {},
): XaParticipant<C> {
  const opts = { ...DEFAULTS, ...options } satisfies MysqlXaOptions;
  checkFormatId(opts.formatId);
  const control = options.control ?? pool;
  /** When recovery first saw each xid (MariaDB keeps no preparation time). */
  const firstSeen = new Map<string, number>();

  const listed = async (): Promise<{ key: XaBranchKey; xid: string }[]> => {
    const found: { key: XaBranchKey; xid: string }[] = [];
    for (const row of rowsOf(await control.query('XA RECOVER')) as XaRecoverRow[]) {
      const key = parseMysqlXid(row, opts.formatId);
      if (key) found.push({ key, xid: mysqlXidSql(key, opts.formatId) });
    }
    return found;
  };

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

  const xa: XaParticipant<C> = {
    async local(ctx, work) {
      const xid = mysqlXidSql(ctx, opts.formatId);
      const conn = await pool.getConnection();
      let threadId: number;
      try {
        threadId = Number(rowsOf(await conn.query('SELECT CONNECTION_ID() AS id'))[0]?.['id']);
        await conn.query(`XA START ${xid}`);
      } catch (error) {
        conn.destroy();
        throw error;
      }
      let value: Awaited<ReturnType<typeof work>>;
      try {
        value = await work(conn);
        await conn.query(`XA END ${xid}`);
        await conn.query(`XA PREPARE ${xid}`);
      } catch (error) {
        await conn.query(`XA END ${xid}`).catch(() => undefined);
        try {
          await conn.query(`XA ROLLBACK ${xid}`);
          conn.release();
        } catch {
          // Not prepared, so closing the session rolls it back.
          conn.destroy();
        }
        throw error;
      }
      // The session holding a prepared transaction is useless to the pool, and only its
      // disconnect lets other sessions finish the transaction.
      conn.destroy();
      await waitGone(threadId).catch(() => undefined);
      return value;
    },

    async phaseTwo(ctx) {
      const action = phaseTwoAction(ctx);
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
        const attached = (await listed()).some((f) => f.xid === xid);
        if (!attached) return 'already-done';
        if (Date.now() > deadline) {
          throw new Error(
            `branch ${describeBranch(ctx)} is prepared but still held by the session that ` +
              'prepared it; only that session can finish it until it disconnects (try again later)',
          );
        }
        await sleep(POLL_MS * 4);
      }
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
