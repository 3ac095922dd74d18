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
import { recoverPrepared, type PreparedBranch, type RecoveryDecider } from './recover.js';
import { doneOutcome, phaseTwoAction, type XaParticipant } from './types.js';
import { checkPgXidPrefix, describeBranch, parsePgXid, pgXid, PG_XID_PREFIX } from './xid.js';

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
}

/** SQLSTATE of "prepared transaction ... does not exist". */
const UNDEFINED_OBJECT = '42704';
/** SQLSTATE of "prepared transactions are disabled". */
const NOT_IN_PREREQUISITE_STATE = '55000';
/** SQLSTATE of "transaction identifier ... is already in use". */
const DUPLICATE_OBJECT = '42710';

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

/**
 * XA branches on PostgreSQL. `C` is the pool's client type, which `local` hands to the
 * work (pass it explicitly, `pgXa<pg.PoolClient>(pool)`, where TypeScript cannot infer
 * it from pg's overloads).
 *
 * @example
 * const xa = pgXa<pg.PoolClient>(pool);
 * // local-work route (op try):
 * accordHandler(async (ctx, body: Transfer) =>
 *   xa.local(ctx, (client) => client.query('UPDATE account SET balance = balance - $1 WHERE id = $2', [body.amount, body.from])),
 * );
 * // commit and rollback routes:
 * accordHandler(xaPhaseTwoHandler(xa));
 * // orphans:
 * startRecovery({ xa, decide: coordinatorDecider(accord) });
 */
export function pgXa<C extends PgPoolClientLike = PgPoolClientLike>(
  pool: PgPoolLike<C>,
  options: PgXaOptions = {},
): XaParticipant<C> {
  const prefix = options.prefix ?? PG_XID_PREFIX;
  checkPgXidPrefix(prefix);
  const control = options.control ?? pool;

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

  const xa: XaParticipant<C> = {
    async local(ctx, work) {
      const xid = pgXid(ctx, prefix);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
      } catch (error) {
        client.release(error instanceof Error ? error : true);
        throw error;
      }
      let value: Awaited<ReturnType<typeof work>>;
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
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch (rollbackError) {
          client.release(rollbackError instanceof Error ? rollbackError : true);
        }
        throw explainPrepareFailure(error, xid);
      }
      // Prepared: the transaction no longer belongs to this session.
      client.release();
      return value;
    },

    async phaseTwo(ctx) {
      const action = phaseTwoAction(ctx);
      const xid = pgXid(ctx, prefix);
      try {
        await control.query(`${action === 'commit' ? 'COMMIT' : 'ROLLBACK'} PREPARED '${xid}'`);
      } catch (error) {
        if (sqlState(error) === UNDEFINED_OBJECT) return 'already-done';
        throw error;
      }
      return doneOutcome(action);
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
