/**
 * The shape shared by the XA helpers of every database: run local work and leave it
 * prepared, finish it in phase two, recover orphans.
 */
import { AccordError } from '@accord/core';
import type { AccordContext } from '../participant/context.js';
import type { PreparedBranch, RecoveryDecider, RecoveryReport } from './recover.js';
import type { XaBranchKey } from './xid.js';

/**
 * What phase two did: `already-done` when the database no longer knows the branch (a
 * repeated call, or a rollback of work that was never prepared), which counts as success.
 */
export type PhaseTwoOutcome = 'committed' | 'rolledback' | 'already-done';

/** The part of an {@link AccordContext} phase two needs: the branch and the op. */
export type XaPhaseTwoContext = XaBranchKey & Pick<AccordContext, 'op'>;

/**
 * An XA participant on one database. `C` is the connection type handed to local work.
 *
 * @example
 * const xa = pgXa(pool);
 * await xa.local(ctx, (client) => client.query('UPDATE account SET balance = balance - $1 WHERE id = $2', [amount, id]));
 * // later, on the commit/rollback URL:
 * await xa.phaseTwo(ctx); // 'committed' | 'rolledback' | 'already-done'
 */
export interface XaParticipant<C> {
  /**
   * Runs `work` on one connection inside a database transaction named after the branch
   * and leaves it prepared; resolves to what `work` returned. When `work` (or preparing)
   * fails, everything is rolled back and the error is rethrown: nothing stays prepared.
   */
  local<T>(ctx: XaBranchKey, work: (connection: C) => Promise<T>): Promise<T>;
  /**
   * Commits (`ctx.op` is `commit`) or rolls back (`rollback`) the branch's prepared
   * transaction, from any connection. Idempotent. Any other op throws
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
