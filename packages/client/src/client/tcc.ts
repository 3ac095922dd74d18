/**
 * tcc: the client opens a prepared transaction, registers each branch and calls its try
 * itself, then submits (confirm all) or aborts (cancel all).
 */
import {
  runTwoPhase,
  type TwoPhaseDeps,
  type TwoPhaseInit,
  type TwoPhaseResult,
} from './two-phase.js';

/** Options of a tcc run. */
export type TccInit = TwoPhaseInit;

/**
 * One tcc branch: its three URLs and payload (sent to all three).
 *
 * @example
 * const hold: TccBranch<{ sku: string }> = {
 *   try: `${stock}/hold`, confirm: `${stock}/take`, cancel: `${stock}/release`, payload: { sku: 'X1' },
 * };
 */
export interface TccBranch<P = unknown> {
  /** Defaults to `01`, `02`, … by call order within the transaction. */
  branchId?: string;
  try: string;
  confirm: string;
  cancel: string;
  payload?: P;
}

/** What the tcc callback gets. */
export interface TccContext {
  /** The transaction's gid (the server's, if none was given). */
  readonly gid: string;
  /**
   * Registers the branch, then calls its try. Resolves to the try's parsed JSON answer;
   * throws `BusinessFailure` (409), `Ongoing` (425) or `AccordError('COORDINATOR_ERROR')`.
   */
  branch<R = unknown, P = unknown>(branch: TccBranch<P>): Promise<R>;
}

/** What a tcc run resolves to. */
export type TccResult<R> = TwoPhaseResult<R>;

/** What {@link runTcc} needs from the client. */
export type TccDeps = TwoPhaseDeps;

/**
 * Runs one tcc transaction around `fn` (see `AccordClient.tcc`). If `fn` throws, the
 * transaction is aborted with the error's message as reason and that same error is
 * rethrown.
 *
 * @example
 * const { result } = await runTcc(deps, async (tcc) => tcc.branch({ try: t, confirm: c, cancel: x }), {});
 */
export function runTcc<R>(
  deps: TccDeps,
  fn: (tcc: TccContext) => Promise<R>,
  init: TccInit,
): Promise<TccResult<R>> {
  return runTwoPhase(deps, 'tcc', init, (gid, branch) =>
    fn({
      gid,
      branch: (b) =>
        branch({
          branchId: b.branchId,
          targets: { confirm: b.confirm, cancel: b.cancel },
          callUrl: b.try,
          payload: b.payload,
        }),
    }),
  );
}
