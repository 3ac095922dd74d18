/**
 * tcc: the client opens a prepared transaction, registers each branch and calls its try
 * itself, then submits (confirm all) or aborts (cancel all).
 */
import type { CoordinatorApi } from './accord-client.js';
import { abortThenRethrow, reasonOf } from './abort-and-rethrow.js';
import type { HttpTransport } from './http-transport.js';
import { callTry } from './try-call.js';
import type { Transaction, TransactionOptionsInput, WaitResult } from './wire-types.js';

/** Options of a tcc run. */
export interface TccInit {
  /** Omit to let the coordinator generate one. */
  gid?: string;
  options?: TransactionOptionsInput;
  /** Passed to the final submit. */
  waitResult?: WaitResult;
}

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
export interface TccResult<R> {
  /** The transaction as the submit answered it. */
  transaction: Transaction;
  /** What the callback returned. */
  result: R;
}

/** What {@link runTcc} needs from the client. */
export interface TccDeps {
  readonly api: CoordinatorApi;
  readonly http: HttpTransport;
  /** Try-call timeout when `options.requestTimeoutMs` is not set. */
  readonly timeoutMs: number;
}

/** `01`, `02`, …, `99`, `100`, … */
export function defaultBranchId(seq: number): string {
  return String(seq).padStart(2, '0');
}

/**
 * Runs one tcc transaction around `fn` (see `AccordClient.tcc`). If `fn` throws, the
 * transaction is aborted with the error's message as reason and that same error is
 * rethrown (see `abortThenRethrow` for when the abort fails too).
 *
 * @example
 * const { result } = await runTcc(deps, async (tcc) => tcc.branch({ try: t, confirm: c, cancel: x }), {});
 */
export async function runTcc<R>(
  deps: TccDeps,
  fn: (tcc: TccContext) => Promise<R>,
  init: TccInit,
): Promise<TccResult<R>> {
  const { api, http } = deps;
  const created = await api.create({
    mode: 'tcc',
    ...(init.gid !== undefined && { gid: init.gid }),
    ...(init.options !== undefined && { options: init.options }),
  });
  const gid = created.gid;
  const timeoutMs = init.options?.requestTimeoutMs ?? deps.timeoutMs;
  let seq = 0;
  const context: TccContext = {
    gid,
    async branch<BR = unknown, P = unknown>(branch: TccBranch<P>): Promise<BR> {
      seq += 1;
      const branchId = branch.branchId ?? defaultBranchId(seq);
      await api.registerBranch(gid, {
        branchId,
        confirm: branch.confirm,
        cancel: branch.cancel,
        ...(branch.payload !== undefined && { payload: branch.payload }),
      });
      return callTry<BR>(http, {
        url: branch.try,
        gid,
        branchId,
        payload: branch.payload,
        headers: init.options?.headers,
        timeoutMs,
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
