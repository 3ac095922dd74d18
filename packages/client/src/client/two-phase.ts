/**
 * What tcc and xa runs share: open a prepared transaction, and for each branch register
 * it first, then make the client-side call (tcc try, xa local work); abort and rethrow
 * if the callback throws, submit when it returns.
 */
import type { CoordinatorApi } from './coordinator-api.js';
import { abortThenRethrow, reasonOf } from './abort-and-rethrow.js';
import type { HttpTransport } from './http-transport.js';
import { callTry } from './try-call.js';
import type {
  TccBranchRequest,
  Transaction,
  TransactionOptionsInput,
  WaitResult,
  XaBranchRequest,
} from './wire-types.js';

/** Options of a tcc or xa run. */
export interface TwoPhaseInit {
  /** Omit to let the coordinator generate one. */
  gid?: string;
  /** `timeoutMs` bounds how long the transaction may stay prepared before an abort. */
  options?: TransactionOptionsInput;
  /** Passed to the final submit. */
  waitResult?: WaitResult;
}

/** What a run needs from the client. */
export interface TwoPhaseDeps {
  readonly api: CoordinatorApi;
  readonly http: HttpTransport;
  /** Client-side call timeout when `options.requestTimeoutMs` is not set. */
  readonly timeoutMs: number;
  /** Signs the client-side calls (`Accord-Signature`); null or absent: unsigned. */
  readonly signingSecret?: string | null;
}

/** What a tcc or xa run resolves to. */
export interface TwoPhaseResult<R> {
  /** The transaction as the submit answered it. */
  transaction: Transaction;
  /** What the callback returned. */
  result: R;
}

/** One branch as the shared loop sees it: its phase-two targets and its client-side call. */
export interface BranchPlan<P> {
  branchId?: string | undefined;
  /** The ops the coordinator will call, as registered. */
  targets:
    Omit<TccBranchRequest, 'branchId' | 'payload'> | Omit<XaBranchRequest, 'branchId' | 'payload'>;
  /** The URL the client calls itself once the branch is registered. */
  callUrl: string;
  payload?: P | undefined;
}

/** Registers a branch, then calls it; resolves to the call's parsed JSON answer. */
export type RunBranch = <R, P>(plan: BranchPlan<P>) => Promise<R>;

/** `01`, `02`, …, `99`, `100`, … */
export function defaultBranchId(seq: number): string {
  return String(seq).padStart(2, '0');
}

/**
 * Runs one tcc or xa transaction: `fn` gets the gid and a {@link RunBranch}. If it throws,
 * the transaction is aborted with the error's message as reason and that same error is
 * rethrown (see `abortThenRethrow` for when the abort fails too).
 */
export async function runTwoPhase<R>(
  deps: TwoPhaseDeps,
  mode: 'tcc' | 'xa',
  init: TwoPhaseInit,
  fn: (gid: string, branch: RunBranch) => Promise<R>,
): Promise<TwoPhaseResult<R>> {
  const { api, http } = deps;
  const created = await api.create({
    mode,
    ...(init.gid !== undefined && { gid: init.gid }),
    ...(init.options !== undefined && { options: init.options }),
  });
  const gid = created.gid;
  const timeoutMs = init.options?.requestTimeoutMs ?? deps.timeoutMs;
  let seq = 0;
  const branch: RunBranch = async <BR, P>(plan: BranchPlan<P>) => {
    seq += 1;
    const branchId = plan.branchId ?? defaultBranchId(seq);
    await api.registerBranch(gid, {
      branchId,
      ...plan.targets,
      ...(plan.payload !== undefined && { payload: plan.payload }),
    });
    return callTry<BR>(http, {
      url: plan.callUrl,
      gid,
      branchId,
      payload: plan.payload,
      headers: init.options?.headers,
      timeoutMs,
      mode,
      signingSecret: deps.signingSecret ?? null,
    });
  };
  let result: R;
  try {
    result = await fn(gid, branch);
  } catch (error) {
    return abortThenRethrow(() => api.abort(gid, { reason: reasonOf(error) }), error);
  }
  const transaction = await api.submit(
    gid,
    init.waitResult !== undefined ? { waitResult: init.waitResult } : {},
  );
  return { transaction, result };
}
