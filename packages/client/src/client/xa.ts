/**
 * xa: the client opens a prepared transaction, registers each branch and calls its
 * local-work URL itself (the participant leaves its database work prepared), then
 * submits (commit all) or aborts (roll back all).
 */
import type { CoordinatorApi } from './accord-client.js';
import { abortThenRethrow, reasonOf } from './abort-and-rethrow.js';
import type { HttpTransport } from './http-transport.js';
import { defaultBranchId } from './tcc.js';
import { callTry } from './try-call.js';
import type { Transaction, TransactionOptionsInput, WaitResult } from './wire-types.js';

/** Options of an xa run. */
export interface XaInit {
  /** Omit to let the coordinator generate one. */
  gid?: string;
  /** `timeoutMs` bounds how long the branches may stay prepared before an abort. */
  options?: TransactionOptionsInput;
  /** Passed to the final submit. */
  waitResult?: WaitResult;
}

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
export interface XaResult<R> {
  /** The transaction as the submit answered it. */
  transaction: Transaction;
  /** What the callback returned. */
  result: R;
}

/** What {@link runXa} needs from the client. */
export interface XaDeps {
  readonly api: CoordinatorApi;
  readonly http: HttpTransport;
  /** Local-work call timeout when `options.requestTimeoutMs` is not set. */
  readonly timeoutMs: number;
}

/**
 * Runs one xa transaction around `fn` (see `AccordClient.xa`). If `fn` throws, the
 * transaction is aborted with the error's message as reason and that same error is
 * rethrown (see `abortThenRethrow` for when the abort fails too).
 *
 * @example
 * const { result } = await runXa(deps, async (xa) => xa.branch({ local, commit, rollback }), {});
 */
export async function runXa<R>(
  deps: XaDeps,
  fn: (xa: XaContext) => Promise<R>,
  init: XaInit,
): Promise<XaResult<R>> {
  const { api, http } = deps;
  const created = await api.create({
    mode: 'xa',
    ...(init.gid !== undefined && { gid: init.gid }),
    ...(init.options !== undefined && { options: init.options }),
  });
  const gid = created.gid;
  const timeoutMs = init.options?.requestTimeoutMs ?? deps.timeoutMs;
  let seq = 0;
  const context: XaContext = {
    gid,
    async branch<BR = unknown, P = unknown>(branch: XaBranch<P>): Promise<BR> {
      seq += 1;
      const branchId = branch.branchId ?? defaultBranchId(seq);
      await api.registerBranch(gid, {
        branchId,
        commit: branch.commit,
        rollback: branch.rollback,
        ...(branch.payload !== undefined && { payload: branch.payload }),
      });
      return callTry<BR>(http, {
        url: branch.local,
        gid,
        branchId,
        payload: branch.payload,
        headers: init.options?.headers,
        timeoutMs,
        mode: 'xa',
      });
    },
  };
  let result: R;
  try {
    result = await fn(context);
  } catch (error) {
    return abortThenRethrow(() => api.abort(gid, { reason: reasonOf(error) }), error);
  }
  const transaction = await api.submit(
    gid,
    init.waitResult !== undefined ? { waitResult: init.waitResult } : {},
  );
  return { transaction, result };
}
