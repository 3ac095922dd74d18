/**
 * XA branches on PostgreSQL through a `pg` pool: local work ends in `PREPARE TRANSACTION`,
 * phase two is `COMMIT PREPARED` / `ROLLBACK PREPARED`.
 *
 * PostgreSQL detaches a prepared transaction from its session at once: the connection
 * goes back to the pool, any session of the same database can finish it, and it survives
 * disconnects, restarts and crashes. It keeps its locks until finished, so orphans must
 * not linger (see {@link startRecovery}). `PREPARE TRANSACTION` needs
 * `max_prepared_transactions > 0` (the default is 0), set in postgresql.conf or with
 * `ALTER SYSTEM`, and a server restart.
 */
import type { PgQueryable } from '../barrier/pg-barrier.js';
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
import { pgLedgerSql } from './ledger-sql.js';
import { recoverPrepared, type PreparedBranch, type RecoveryDecider } from './recover.js';
import { doneOutcome, phaseTwoAction, type XaParticipant } from './types.js';
import {
  checkPgXidPrefix,
  describeBranch,
  parsePgXid,
  pgXid,
  PG_XID_PREFIX,
  type XaBranchKey,
} from './xid.js';
import { runPgDdl } from '../barrier/pg-ddl.js';

/** The result of a pg query, as the XA helper reads it. */
export interface PgXaQueryResult {
  rowCount: number | null;
  rows: unknown[];
  /** The command tag (`PREPARE`, `ROLLBACK`, …); pg always sets it. */
  command?: string;
}

/**
 * What the helper needs of a pooled pg client: `query`, and `release` (with an error or
 * `true` to discard a broken connection).
 */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<PgXaQueryResult>;
  release(error?: Error | boolean): void;
}

/**
 * What the helper needs of a `pg.Pool`: a client per local transaction, and `query` for
 * phase two and recovery. All of it must reach one database: a prepared transaction can
 * only be finished from the database it was prepared in.
 *
 * @example
 * const pool: PgPoolLike<pg.PoolClient> = new pg.Pool({ connectionString });
 */
export interface PgPoolLike<C extends PgPoolClientLike = PgPoolClientLike> extends PgQueryable {
  connect(): Promise<C>;
}

/** Options of {@link pgXa}. */
export interface PgXaOptions {
  /**
   * Mark of this service's transaction identifiers (default `accord`). Services sharing
   * one database with different coordinators need different prefixes, so that each
   * recovers only its own branches.
   */
  prefix?: string;
  /**
   * Where phase two, recovery and its listing run (default: the pool itself). Give them a
   * small pool of their own under concurrency: local work waiting on rows that prepared
   * branches hold can take every connection of a shared pool, and the phase two that
   * would free those rows then never gets one.
   */
  control?: PgQueryable;
  /** The ledger's table, optionally schema-qualified (default `accord_barrier`). */
  table?: string;
  /**
   * How long a repeated local-work call waits for another call of the same branch to
   * prepare or finish, and how long a rollback waits for one to get out of its way, ms
   * (default 5000).
   */
  busyTimeoutMs?: number;
}

/** SQLSTATE of "prepared transaction ... does not exist". */
const UNDEFINED_OBJECT = '42704';
/** SQLSTATE of "prepared transactions are disabled". */
const NOT_IN_PREREQUISITE_STATE = '55000';
/** SQLSTATE of "transaction identifier ... is already in use". */
const DUPLICATE_OBJECT = '42710';
/** SQLSTATE of "relation ... does not exist". */
const UNDEFINED_TABLE = '42P01';

function sqlState(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/** A clearer error for the failures of PREPARE TRANSACTION users can act on. */
function explainPrepareFailure(error: unknown, xid: string): unknown {
  const code = sqlState(error);
  const said = error instanceof Error ? error.message : '';
  if (code === NOT_IN_PREREQUISITE_STATE && /prepared transactions are disabled/i.test(said)) {
    return new Error(
      'PostgreSQL has prepared transactions disabled (max_prepared_transactions = 0), so an ' +
        'XA branch cannot be prepared. Set it above zero, at least the number of branches ' +
        'that may be prepared at once (e.g. ALTER SYSTEM SET max_prepared_transactions = 64), ' +
        'and restart PostgreSQL.',
      { cause: error },
    );
  }
  if (code === DUPLICATE_OBJECT) {
    return new Error(
      `branch ${xid} is already prepared (a repeated local-work call?); this call's work was rolled back`,
      { cause: error },
    );
  }
  return error;
}

/**
 * True when PREPARE TRANSACTION really prepared: in a transaction an earlier error
 * aborted, PostgreSQL rolls back instead and answers with the `ROLLBACK` tag, no error.
 */
async function wasPrepared(
  client: PgPoolClientLike,
  result: PgXaQueryResult,
  xid: string,
): Promise<boolean> {
  if (result.command !== undefined) return result.command === 'PREPARE';
  const check = await client.query(
    'SELECT 1 FROM pg_prepared_xacts WHERE gid = $1 AND database = current_database()',
    [xid],
  );
  return (check.rowCount ?? check.rows.length) > 0;
}

const LIST_SQL = `SELECT gid,
  (extract(epoch FROM (now() - prepared)) * 1000)::float8 AS age_ms
FROM pg_prepared_xacts
WHERE database = current_database() AND left(gid, length($1)) = $1
ORDER BY prepared`;

/** One row of the ledger's claim statement. */
interface ClaimRow {
  got?: unknown;
  inserted?: unknown;
  existing?: unknown;
}

/**
 * What a claim found: the branch is now ours (`claimed`), another call holds it (`busy`),
 * or the ledger already records its end.
 */
type Claim = 'claimed' | 'busy' | LedgerState;

function readClaim(branch: XaBranchKey, row: ClaimRow | undefined): Claim | undefined {
  if (row?.got !== true) return 'busy';
  if (row.inserted === true) return 'claimed';
  // Got the lock but the row exists: committed before the statement, or (undefined)
  // just after its snapshot was taken; the caller tries again.
  return row.existing === null || row.existing === undefined
    ? undefined
    : ledgerState(branch, row.existing);
}

/**
 * XA branches on PostgreSQL. `C` is the pool's client type, which `local` hands to the
 * work (pass it explicitly, `pgXa<pg.PoolClient>(pool)`, where TypeScript cannot infer
 * it from pg's overloads).
 *
 * Each branch is guarded by an advisory transaction lock named after its identifier,
 * taken without waiting by the local work (a prepared transaction keeps it until phase
 * two) and by the rollback's ledger write, and by its ledger row (see {@link XaParticipant}).
 *
 * @example
 * const xa = pgXa<pg.PoolClient>(pool);
 * await xa.migrate(pool);
 * // local-work route (op try):
 * accordHandler(xaLocalHandler(xa, (client, body: Transfer) =>
 *   client.query('UPDATE account SET balance = balance - $1 WHERE id = $2', [body.amount, body.from]),
 * ));
 * // commit and rollback routes:
 * accordHandler(xaPhaseTwoHandler(xa));
 * // orphans:
 * startRecovery({ xa, decide: coordinatorDecider(accord) });
 */
export function pgXa<C extends PgPoolClientLike = PgPoolClientLike>(
  pool: PgPoolLike<C>,
  options: PgXaOptions = {},
): XaParticipant<C, PgQueryable> {
  const prefix = options.prefix ?? PG_XID_PREFIX;
  checkPgXidPrefix(prefix);
  const control = options.control ?? pool;
  const sql = pgLedgerSql(options.table ?? 'accord_barrier');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;

  const explained = (error: unknown): unknown =>
    explainMissingTable(error, sql.table, sqlState(error) === UNDEFINED_TABLE);

  const claim = async (
    db: PgQueryable,
    branch: XaBranchKey,
    reason: string,
  ): Promise<Claim | undefined> => {
    const xid = pgXid(branch, prefix);
    try {
      const { rows } = await db.query(sql.claim, [...ledgerKey(branch, prefix), xid, reason]);
      return readClaim(branch, rows[0] as ClaimRow | undefined);
    } catch (error) {
      throw explained(error);
    }
  };

  const isPrepared = async (xid: string): Promise<boolean> => {
    const { rows } = await control.query(sql.isPrepared, [xid]);
    return (rows[0] as { prepared?: unknown } | undefined)?.prepared === true;
  };

  const recorded = async (branch: XaBranchKey): Promise<LedgerState | undefined> => {
    const { rows } = await control.query(sql.selectReason, ledgerKey(branch, prefix));
    const reason = (rows[0] as { reason?: unknown } | undefined)?.reason;
    return reason === undefined ? undefined : ledgerState(branch, reason);
  };

  const preparedXids = async (): Promise<PreparedBranch[]> => {
    const { rows } = await control.query(LIST_SQL, [`${prefix}:`]);
    const found: PreparedBranch[] = [];
    for (const row of rows as { gid?: unknown; age_ms?: unknown }[]) {
      const xid = typeof row.gid === 'string' ? row.gid : '';
      const key = parsePgXid(xid, prefix);
      if (key) found.push({ ...key, xid, ageMs: Math.max(0, Number(row.age_ms) || 0) });
    }
    return found;
  };

  /** Rolls back on a client whose transaction must not go on, and gives it back. */
  const abandon = async (client: C): Promise<void> => {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackError) {
      client.release(rollbackError instanceof Error ? rollbackError : true);
    }
  };

  /**
   * One attempt: claims the branch in a new transaction and, when it is ours, runs the
   * work and prepares. `undefined` when another call holds the branch and it is not
   * prepared yet (try again).
   */
  const attemptLocal = async <T>(
    ctx: XaBranchKey,
    work: (connection: C) => Promise<T>,
  ): Promise<XaLocalResult<T> | undefined> => {
    const xid = pgXid(ctx, prefix);
    const client = await pool.connect();
    let found: Claim | undefined;
    try {
      await client.query('BEGIN');
      found = await claim(client, ctx, XA_LEDGER.committed);
    } catch (error) {
      await abandon(client);
      throw error;
    }
    if (found !== 'claimed') await abandon(client);
    if (found === undefined) return undefined;
    if (found === 'committed' || found === 'rolled-back') return repeatedCall(ctx, found);
    if (found === 'busy') {
      return (await isPrepared(xid))
        ? { applied: false, reason: 'duplicate', state: 'prepared' }
        : undefined;
    }
    let value: T;
    try {
      value = await work(client);
      const result = await client.query(`PREPARE TRANSACTION '${xid}'`);
      if (!(await wasPrepared(client, result, xid))) {
        throw new Error(
          `branch ${describeBranch(ctx)} was not prepared: its transaction had already ` +
            'failed (was an error caught inside the work?) and has been rolled back',
        );
      }
    } catch (error) {
      await abandon(client);
      throw explainPrepareFailure(error, xid);
    }
    // Prepared: the transaction no longer belongs to this session.
    client.release();
    return { applied: true, value };
  };

  /** One rollback attempt: finish what is prepared, then write the ledger's marker. */
  const attemptRollback = async (
    ctx: XaBranchKey,
    xid: string,
    state: { rolledBack: boolean },
  ): Promise<true | undefined> => {
    try {
      await control.query(`ROLLBACK PREPARED '${xid}'`);
      state.rolledBack = true;
    } catch (error) {
      if (sqlState(error) !== UNDEFINED_OBJECT) throw error;
    }
    const found = await claim(control, ctx, XA_LEDGER.rolledBack);
    if (found === 'committed') throw contradiction(ctx, 'rollback', found);
    // Busy: a local-work call holds the branch; once it prepares, the next round's
    // ROLLBACK PREPARED finishes it.
    return found === 'claimed' || found === 'rolled-back' ? true : undefined;
  };

  const xa: XaParticipant<C, PgQueryable> = {
    table: sql.table,
    ddl: sql.ddl,

    async migrate(db) {
      await runPgDdl(db, [sql.ddl]);
    },

    async local(ctx, work) {
      pgXid(ctx, prefix); // refuses over-long ids before any connection is taken
      return retryWhileBusy(
        busyTimeoutMs,
        () => attemptLocal(ctx, work),
        (waited) => stillBusy(ctx, waited),
      );
    },

    async phaseTwo(ctx) {
      const action = phaseTwoAction(ctx);
      const xid = pgXid(ctx, prefix);
      if (action === 'commit') {
        try {
          await control.query(`COMMIT PREPARED '${xid}'`);
          return 'committed';
        } catch (error) {
          if (sqlState(error) !== UNDEFINED_OBJECT) throw error;
        }
        const state = await recorded(ctx).catch((error: unknown) => {
          throw explained(error);
        });
        if (state === 'committed') return 'already-done';
        throw contradiction(ctx, 'commit', state);
      }
      const state = { rolledBack: false };
      await retryWhileBusy(
        busyTimeoutMs,
        () => attemptRollback(ctx, xid, state),
        (waited) =>
          new Error(
            `could not roll back xa branch ${describeBranch(ctx)}: a local-work call of it ` +
              `kept running for ${waited} ms; try again later`,
          ),
      );
      return state.rolledBack ? doneOutcome(action) : 'already-done';
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
