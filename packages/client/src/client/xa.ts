/**
 * xa: the client opens a prepared transaction, registers each branch and calls its
 * local-work URL itself (the participant leaves its database work prepared), then
 * submits (commit all) or aborts (roll back all).
 */
import {
  runTwoPhase,
  type TwoPhaseDeps,
  type TwoPhaseInit,
  type TwoPhaseResult,
} from './two-phase.js';

/** Options of an xa run; `options.timeoutMs` bounds how long branches may stay prepared. */
export type XaInit = TwoPhaseInit;

/**
 * One xa branch: the participant's local-work URL (called by the client), its commit and
 * rollback URLs (called by the coordinator), and the payload (sent to all three).
 *
 * @example
 * const debit: XaBranch<{ amount: number }> = {
 *   local: `${bank}/xa/debit`, commit: `${bank}/xa/phase-two`, rollback: `${bank}/xa/phase-two`,
 *   payload: { amount: 30 },
 * };
 */
export interface XaBranch<P = unknown> {
  /** Defaults to `01`, `02`, … by call order within the transaction. */
  branchId?: string;
  local: string;
  commit: string;
  rollback: string;
  payload?: P;
}

/** What the xa callback gets. */
export interface XaContext {
  /** The transaction's gid (the server's, if none was given). */
  readonly gid: string;
  /**
   * Registers the branch, then calls its local-work URL. Resolves to the parsed JSON
   * answer; throws `BusinessFailure` (409), `Ongoing` (425) or
   * `AccordError('COORDINATOR_ERROR')`.
   */
  branch<R = unknown, P = unknown>(branch: XaBranch<P>): Promise<R>;
}

/** What an xa run resolves to. */
export type XaResult<R> = TwoPhaseResult<R>;

/** What {@link runXa} needs from the client. */
export type XaDeps = TwoPhaseDeps;

/**
 * Runs one xa transaction around `fn` (see `AccordClient.xa`). If `fn` throws, the
 * transaction is aborted (every prepared branch rolled back) with the error's message as
 * reason and that same error is rethrown.
 *
 * @example
 * const { result } = await runXa(deps, async (xa) => xa.branch({ local, commit, rollback }), {});
 */
export function runXa<R>(
  deps: XaDeps,
  fn: (xa: XaContext) => Promise<R>,
  init: XaInit,
): Promise<XaResult<R>> {
  return runTwoPhase(deps, 'xa', init, (gid, branch) =>
    fn({
      gid,
      branch: (b) =>
        branch({
          branchId: b.branchId,
          targets: { commit: b.commit, rollback: b.rollback },
          callUrl: b.local,
          payload: b.payload,
        }),
    }),
  );
}
