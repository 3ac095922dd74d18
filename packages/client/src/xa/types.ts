/**
 * The shape shared by the XA helpers of every database: run local work and leave it
 * prepared, finish it in phase two, recover orphans.
 */
import { AccordError } from '@accord/core';
import type { AccordContext } from '../participant/context.js';
import type { XaLocalResult } from './ledger.js';
import type { PreparedBranch, RecoveryDecider, RecoveryReport } from './recover.js';
import type { XaBranchKey } from './xid.js';

/**
 * What phase two did: `already-done` when the branch was already finished that way (a
 * repeated call, or a rollback of work that never prepared), which counts as success.
 */
export type PhaseTwoOutcome = 'committed' | 'rolledback' | 'already-done';

/** The part of an {@link AccordContext} phase two needs: the branch and the op. */
export type XaPhaseTwoContext = XaBranchKey & Pick<AccordContext, 'op'>;

/**
 * An XA participant on one database. `C` is the connection type handed to local work, `Q`
 * what {@link XaParticipant.migrate} accepts (a pool, a client).
 *
 * Each branch's local work runs at most once, whatever the timing of repeated calls: a
 * ledger row per branch (in the barrier table, written inside the prepared transaction)
 * records what became of it. Create that table once with {@link XaParticipant.migrate}.
 *
 * @example
 * const xa = pgXa(pool);
 * await xa.migrate(pool);
 * const r = await xa.local(ctx, (client) => client.query('UPDATE account SET balance = balance - $1 WHERE id = $2', [amount, id]));
 * // later, on the commit/rollback URL:
 * await xa.phaseTwo(ctx); // 'committed' | 'rolledback' | 'already-done'
 */
export interface XaParticipant<C, Q = unknown> {
  /** The ledger's table (the barrier table, `accord_barrier` by default). */
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` statement. */
  readonly ddl: string;
  /** Creates the ledger's table if missing (safe to race, and to share with the barrier). */
  migrate(db: Q): Promise<void>;
  /**
   * Runs `work` on one connection inside a database transaction named after the branch
   * and leaves it prepared; resolves to `{ applied: true, value }` with what `work`
   * returned. When `work` (or preparing) fails, everything is rolled back and the error
   * is rethrown: nothing stays prepared.
   *
   * A repeated call of the same branch never runs `work` again:
   * - while another call of the branch is running, it waits for that call (at most
   *   `busyTimeoutMs`, then throws `Ongoing`, which answers 425);
   * - when the branch is prepared or committed, it resolves to
   *   `{ applied: false, reason: 'duplicate', state }`: a success;
   * - when the branch was rolled back, it throws `BusinessFailure` (409).
   */
  local<T>(ctx: XaBranchKey, work: (connection: C) => Promise<T>): Promise<XaLocalResult<T>>;
  /**
   * Commits (`ctx.op` is `commit`) or rolls back (`rollback`) the branch's prepared
   * transaction, from any connection. Idempotent: a repeat answers `already-done`. A
   * rollback leaves the ledger's `rollback` row, so a late local-work call is refused.
   * Throws (so the coordinator retries, then parks the transaction for a person) when
   * the ledger contradicts the op: a commit of a branch that was rolled back or never
   * prepared, a rollback of one already committed. Any op but commit and rollback throws
   * `AccordError('INVALID_REQUEST')`.
   */
  phaseTwo(ctx: XaPhaseTwoContext): Promise<PhaseTwoOutcome>;
  /** Accord's prepared branches in this database, oldest first. */
  preparedXids(): Promise<PreparedBranch[]>;
  /** One recovery pass: finishes each prepared branch as `decide` says. */
  recover(decide: RecoveryDecider): Promise<RecoveryReport>;
}

/**
 * The phase-two action an op asks for. Throws `AccordError('INVALID_REQUEST')` for an op
 * other than `commit` or `rollback`.
 *
 * @example
 * phaseTwoAction({ gid: 'g', branchId: '01', op: 'commit' }); // 'commit'
 */
export function phaseTwoAction(ctx: XaPhaseTwoContext): 'commit' | 'rollback' {
  if (ctx.op === 'commit' || ctx.op === 'rollback') return ctx.op;
  throw new AccordError(
    'INVALID_REQUEST',
    `xa phase two expects op commit or rollback, got ${ctx.op}`,
    { gid: ctx.gid, branchId: ctx.branchId, op: ctx.op },
  );
}

/** The outcome of a finished phase-two action. */
export function doneOutcome(action: 'commit' | 'rollback'): PhaseTwoOutcome {
  return action === 'commit' ? 'committed' : 'rolledback';
}
