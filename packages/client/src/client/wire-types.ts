/**
 * The JSON shapes of the coordinator's `/v1` API (docs/protocol.md), as the SDK sends and
 * receives them. Times are ISO-8601 strings in UTC, durations milliseconds.
 */
import type {
  GlobalStatus,
  Mode,
  OpName,
  OpStatus,
  OutcomeKind,
  RetryPolicy,
  TransactionOptions,
} from '@accord/core';

/**
 * `waitResult`: `true` waits up to the server's cap for a terminal status, a number waits
 * at most that many ms, `false`/absent answers at once.
 */
export type WaitResult = boolean | number;

/** Retry overrides; every field optional (server defaults fill the rest). */
export type RetryOptions = Partial<RetryPolicy>;

/**
 * Per-transaction options as sent on create; the server resolves missing ones.
 *
 * @example
 * const options: TransactionOptionsInput = { timeoutMs: 60_000, retry: { maxAttempts: 5 } };
 */
export interface TransactionOptionsInput {
  /** saga: overall deadline; tcc/xa/msg: how long it may stay prepared (default 35000). */
  timeoutMs?: number | null;
  /** Timeout of each branch call (default 3000). */
  requestTimeoutMs?: number;
  /** saga/msg without `dependsOn`: run every step at once. */
  concurrent?: boolean;
  /** Extra headers sent with every branch call (`accord-*` is reserved). */
  headers?: Record<string, string>;
  retry?: RetryOptions;
}

/**
 * One saga or msg step on the wire. `P` types the payload.
 *
 * @example
 * const step: StepRequest<{ amount: number }> = {
 *   id: 'withdraw', action: 'http://bank/withdraw', payload: { amount: 100 },
 * };
 */
export interface StepRequest<P = unknown> {
  /** Unique within the transaction; defaults to `01`, `02`, … by position. */
  id?: string;
  /** URL called forward (saga action, msg delivery). */
  action: string;
  /** saga only: URL that undoes the action. */
  compensate?: string;
  /** JSON body of action and compensate. */
  payload?: P;
  /** Step ids that must succeed first (turns the steps into a DAG). */
  dependsOn?: string[];
  /** Per-step override of `options.retry.maxAttempts`. */
  maxAttempts?: number;
}

/**
 * Body of `POST /v1/transactions`.
 *
 * @example
 * const body: CreateTransactionRequest = { mode: 'tcc', options: { timeoutMs: 10_000 } };
 */
export interface CreateTransactionRequest {
  /** Omit to let the coordinator generate a time-ordered one. */
  gid?: string;
  mode: Mode;
  /** saga and msg only. */
  steps?: StepRequest[];
  /** msg only (required there): the producer's check-back URL. */
  checkUrl?: string;
  options?: TransactionOptionsInput;
  waitResult?: WaitResult;
}

/**
 * Body of `POST /v1/transactions/{gid}/branches` for a tcc branch.
 *
 * @example
 * const b: TccBranchRequest = { branchId: '01', confirm: 'http://x/c', cancel: 'http://x/x' };
 */
export interface TccBranchRequest {
  branchId: string;
  confirm: string;
  cancel: string;
  payload?: unknown;
}

/**
 * Body of `POST /v1/transactions/{gid}/branches` for an xa branch.
 *
 * @example
 * const b: XaBranchRequest = { branchId: '01', commit: 'http://x/commit', rollback: 'http://x/rollback' };
 */
export interface XaBranchRequest {
  branchId: string;
  commit: string;
  rollback: string;
  payload?: unknown;
}

/**
 * Body of `POST /v1/transactions/{gid}/branches`: a tcc or an xa branch.
 *
 * @example
 * const b: RegisterBranchRequest = { branchId: '01', confirm: 'http://x/c', cancel: 'http://x/x' };
 */
export type RegisterBranchRequest = TccBranchRequest | XaBranchRequest;

/** Options of `submit`. */
export interface SubmitOptions {
  waitResult?: WaitResult;
}

/** Options of `abort`. */
export interface AbortOptions {
  /** Recorded as the transaction's reason. */
  reason?: string;
}

/** Body of the operator route `resolve`. */
export interface ResolveRequest {
  status: 'succeeded' | 'failed';
  /** Required: why an operator decided by hand. */
  reason: string;
}

/** Last error of a branch op, as the API shows it. */
export interface BranchLastError {
  httpStatus: number | null;
  message: string;
  at: string;
}

/** One branch op of a transaction, as the API shows it. */
export interface Branch {
  branchId: string;
  op: OpName;
  url: string;
  payload: unknown;
  dependsOn: string[];
  status: OpStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: BranchLastError | null;
}

/** A global transaction, as the API shows it (`branches` absent in lists). */
export interface Transaction {
  gid: string;
  mode: Mode;
  status: GlobalStatus;
  reason: string | null;
  parked: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  options: TransactionOptions;
  checkUrl: string | null;
  branches?: Branch[];
}

/** One recorded attempt (or operator action) in a transaction's history. */
export interface Attempt {
  branchId: string;
  op: string;
  attempt: number;
  startedAt: string;
  finishedAt: string;
  outcome: OutcomeKind;
  httpStatus: number | null;
  message: string | null;
}

/** Answer of `query`. */
export interface QueryResult {
  transaction: Transaction;
  history: Attempt[];
}

/**
 * Filters of `list`; `since`/`until` bound the creation time.
 *
 * @example
 * await accord.list({ status: 'failed', since: new Date(Date.now() - 3_600_000), limit: 100 });
 */
export interface ListFilters {
  status?: GlobalStatus;
  mode?: Mode;
  parked?: boolean;
  since?: Date | number | string;
  until?: Date | number | string;
  cursor?: string;
  /** 1..500, default 50. */
  limit?: number;
}

/** One page of `list`, newest first. */
export interface TransactionPage {
  items: Transaction[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}
