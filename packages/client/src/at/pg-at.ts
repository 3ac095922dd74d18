/**
 * `pgAt`: at branches on PostgreSQL through a `pg.Pool` (or anything shaped like it).
 */
import type { AccordContext } from '../participant/context.js';
import {
  AtEngine,
  type AtBranchKey,
  type AtOptions,
  type AtPhaseTwoOutcome,
  type AtTransaction,
} from './at-engine.js';
import { pgDialect, type PgAtClientLike } from './pg-dialect.js';

export type { PgAtClientLike } from './pg-dialect.js';

/** What `pgAt` needs of a pooled client: `query` and `release`. */
export interface PgAtPoolClientLike extends PgAtClientLike {
  release(error?: Error | boolean): void;
}

/** What `pgAt` needs of a `pg.Pool`: a client per local transaction. */
export interface PgAtPoolLike extends PgAtClientLike {
  connect(): Promise<PgAtPoolClientLike>;
}

/** The pg query result an at transaction answers. */
export type PgAtResult = Awaited<ReturnType<PgAtClientLike['query']>>;

/** An at participant (see {@link pgAt} and {@link mysqlAt}). */
export interface AtParticipant<R> {
  /** The undo-log table. */
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS`. */
  readonly ddl: string;
  /** Creates the undo log if missing. */
  migrate(): Promise<void>;
  /**
   * Runs `work` as branch `key`'s local transaction: its INSERT, UPDATE and DELETE are
   * imaged into the undo log, the branch registers with the rows' lock keys (waiting
   * while another transaction holds one), then the local transaction commits. Any error
   * rolls it back and propagates.
   */
  branch<T>(key: AtBranchKey, work: (tx: AtTransaction<R>) => Promise<T>): Promise<T>;
  /** Phase two (the coordinator's `commit` or `rollback` of a branch). */
  phaseTwo(ctx: Pick<AccordContext, 'gid' | 'branchId' | 'op'>): Promise<AtPhaseTwoOutcome>;
}

/** Checks that a phase-two call carries commit or rollback. */
export function phaseTwoOp(op: string): 'commit' | 'rollback' {
  if (op === 'commit' || op === 'rollback') return op;
  throw new Error(`at phase two expects op commit or rollback, got ${op}: check the branch's URLs`);
}

/**
 * An at participant on PostgreSQL.
 *
 * @example
 * const at = pgAt(pool, { accord, resource: 'orders-db', phaseTwoUrl: 'http://orders/at' });
 * await at.migrate();
 * await at.branch({ gid, branchId: 'orders' }, (tx) =>
 *   tx.query('UPDATE stock SET qty = qty - $1 WHERE sku = $2', [1, 'A-1']),
 * );
 */
export function pgAt(pool: PgAtPoolLike, options: AtOptions): AtParticipant<PgAtResult> {
  const engine = new AtEngine(pgDialect, options);
  async function withClient<T>(fn: (client: PgAtPoolClientLike) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      const value = await fn(client);
      client.release();
      return value;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
  }
  return {
    table: engine.table,
    ddl: engine.ddl,
    async migrate() {
      await pool.query(engine.ddl);
    },
    branch: (key, work) => withClient((client) => engine.branch(client, key, work)),
    phaseTwo: (ctx) => withClient((client) => engine.phaseTwo(client, ctx, phaseTwoOp(ctx.op))),
  };
}
