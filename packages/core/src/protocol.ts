/**
 * The native Accord protocol: the shapes of transactions, branch operations and their
 * outcomes, shared by the coordinator and the SDK. Plain data, no behaviour.
 */

/**
 * How a global transaction coordinates its branches. `notify` is a best-effort
 * notification: one delivery retried on a schedule, never compensated. `tcc-rest` is
 * TCC for REST: participant links confirmed with `PUT` or cancelled with `DELETE`. `at` is
 * automatic compensation (Seata's AT): branches register the rows they changed as global
 * row locks, and phase two forgets (`commit`) or restores (`rollback`) their undo images.
 */
export type Mode = 'saga' | 'tcc' | 'xa' | 'msg' | 'notify' | 'tcc-rest' | 'at';
/** Every mode, in a fixed order (for validation and docs). */
export const MODES: readonly Mode[] = ['saga', 'tcc', 'xa', 'msg', 'notify', 'tcc-rest', 'at'];

/**
 * Lifecycle of a global transaction. `prepared` (tcc/msg open) → `submitted` (forward work)
 * → `succeeded`; or → `aborting` (compensating) → `failed`. msg goes `prepared → failed`
 * without compensating.
 */
export type GlobalStatus = 'prepared' | 'submitted' | 'aborting' | 'succeeded' | 'failed';
/** Every global status. */
export const GLOBAL_STATUSES: readonly GlobalStatus[] = [
  'prepared',
  'submitted',
  'aborting',
  'succeeded',
  'failed',
];
/** True for the two statuses a transaction never leaves. */
export function isTerminal(status: GlobalStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}

/**
 * A branch operation the coordinator calls. saga: `action`/`compensate`; tcc:
 * `confirm`/`cancel` (`try` is called by the client itself); xa: `commit`/`rollback` of
 * a branch the client's own call left prepared; msg: `action` (delivery) and `check`
 * (the check-back of a prepared message whose submit never came); notify: `action`.
 */
export type OpName =
  'action' | 'compensate' | 'confirm' | 'cancel' | 'commit' | 'rollback' | 'check';
/** Ops the participant may see in the `Accord-Op` header, including the client-side `try`. */
export type ParticipantOp = OpName | 'try';

/** Status of one branch op. */
export type OpStatus = 'pending' | 'succeeded' | 'failed';

/** Backoff and retry budget for branch calls. */
export interface RetryPolicy {
  /** Delay before the first retry of an unknown outcome, ms. */
  readonly firstDelayMs: number;
  /** Growth factor of the delay per consecutive failure. */
  readonly factor: number;
  /** Upper bound of one delay, ms. */
  readonly maxDelayMs: number;
  /** Random spread of each delay, as a fraction (0.2 = ±20 %). */
  readonly jitter: number;
  /** Fixed delay after an ONGOING (425) reply, ms; does not grow. */
  readonly ongoingDelayMs: number;
  /**
   * Consecutive failed attempts an op may make. A forward op past it aborts the
   * transaction; a must-succeed op past it parks the transaction.
   */
  readonly maxAttempts: number;
}

/** Per-transaction options, fully resolved (server defaults merged in) before storing. */
export interface TransactionOptions {
  /** Timeout of each branch call, ms. */
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
  /**
   * saga: overall deadline after which forward work stops and compensation starts
   * (null: none). tcc/msg: how long the transaction may stay `prepared`.
   */
  readonly timeoutMs: number | null;
  /** saga/msg: steps without `dependsOn` run concurrently instead of in order. */
  readonly concurrent: boolean;
  /** Extra headers sent with every branch call of this transaction. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * notify: the delays (ms) before each retry of an unacknowledged delivery, in order,
   * replacing exponential backoff; the delivery fails once they are used up.
   */
  readonly schedule?: readonly number[];
  /**
   * notify: a 2xx counts as acknowledged only when its body, trimmed, equals this text
   * (for receivers that answer `success`); absent, any 2xx acknowledges.
   */
  readonly ackBody?: string;
  /**
   * msg, notify: the delivery waits this long (ms) after the transaction is submitted (a
   * notification is submitted when it is created). Absent: deliver at once.
   */
  readonly delayMs?: number;
  /**
   * msg, notify: no delivery before this instant (ms since the epoch); never together
   * with {@link TransactionOptions.delayMs}.
   */
  readonly deliverAt?: number;
  /**
   * The calling convention of the branch calls: absent for the native protocol, `dtm`
   * for transactions created through the DTM-compatible API (DTM's query parameters,
   * methods and reply rules). Stored with the transaction, so recovery keeps it.
   */
  readonly dialect?: Dialect;
  /**
   * `base64`: every payload of this transaction is the base64 text of binary bytes
   * (protobuf messages of DTM's gRPC clients), sent to gRPC targets decoded. Absent:
   * payloads are text, sent as their UTF-8 bytes.
   */
  readonly payloadEncoding?: 'base64';
  /**
   * The transaction's place in a distributed trace, fixed when it is created and stored
   * with it, so every instance that drives it (after a restart too) continues the same
   * trace. Absent on transactions stored before it existed: derived from the gid.
   */
  readonly trace?: TransactionTrace;
}

/** See {@link TransactionOptions.trace}. */
export interface TransactionTrace {
  /** `00-<trace id>-<span id of the transaction>-<flags>`: the parent of every call it makes. */
  readonly traceparent: string;
  /** The creating caller's span id (the transaction span's parent); absent when it sent none. */
  readonly parentSpanId?: string;
  /** The caller's `tracestate`, passed on unchanged with every call. */
  readonly tracestate?: string;
}

/** A calling convention other than the native one (see {@link TransactionOptions.dialect}). */
export type Dialect = 'dtm';

/** The global transaction record as stored. Times are ms since the epoch. */
export interface TransactionRecord {
  readonly gid: string;
  readonly mode: Mode;
  status: GlobalStatus;
  readonly options: TransactionOptions;
  /** msg: the producer's check-back URL. */
  readonly checkUrl: string | null;
  /** Hash of the create request, so a repeated create is idempotent and a different one a conflict. */
  readonly fingerprint: string;
  /** Why the transaction aborted, failed, parked or was resolved. */
  reason: string | null;
  readonly createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** When a timeout fires (see {@link TransactionOptions.timeoutMs}); null: never. */
  deadlineAt: number | null;
  /** When the recovery path should next look at it; null when terminal or parked. */
  nextAttemptAt: number | null;
  /** A must-succeed op exhausted its budget: not retried until an operator acts. */
  parked: boolean;
  /** An operator paused it: nothing is called, and recovery skips it, until resumed. */
  paused: boolean;
  /** Labels the client set at create (see `checkLabels`); never change. */
  readonly labels: Readonly<Record<string, string>>;
  /** Instance currently driving it, if any. */
  leaseOwner: string | null;
  /** Lease expiry (ms); 0 when free. */
  leaseUntil: number;
  /** Fencing token: grows on every claim; a write naming an older one is rejected. */
  fence: number;
}

/** Last error seen by a branch op. */
export interface BranchError {
  /** HTTP status of the reply; null for timeouts and network errors. */
  readonly httpStatus: number | null;
  readonly message: string;
  readonly at: number;
}

/** One branch operation of a transaction, keyed by (gid, branchId, op). */
export interface BranchOp {
  readonly branchId: string;
  readonly op: OpName;
  /** Where the coordinator sends it: an http(s) URL. */
  readonly url: string;
  /** JSON text sent as the body (empty string: no body). */
  readonly payload: string;
  /** Registration order within the transaction (step index for saga/msg). */
  readonly seq: number;
  /** action ops: branchIds whose action must succeed first. */
  readonly dependsOn: readonly string[];
  /** Optional per-op override of {@link RetryPolicy.maxAttempts}. */
  readonly maxAttempts: number | null;
  status: OpStatus;
  /** Calls dispatched so far (recorded before each call is made). */
  attempts: number;
  /** Consecutive non-successful attempts; drives backoff and the budget. */
  failures: number;
  /** Not to be called again before this instant (ms). */
  nextAttemptAt: number;
  lastError: BranchError | null;
  updatedAt: number;
}

/** Kind of result of one branch call. */
export type OutcomeKind = 'success' | 'failure' | 'ongoing' | 'error';

/**
 * Result of one branch call, as classified by the native protocol: 2xx success,
 * 409 failure (business refusal), 425 ongoing, anything else (other status,
 * timeout, network error) an unknown outcome reported as `error`.
 */
export interface Outcome {
  readonly kind: OutcomeKind;
  readonly httpStatus: number | null;
  /** Short human-readable detail (status line, error message, body excerpt). */
  readonly message: string | null;
}

/** An action a person took on a transaction, recorded in its history. */
export type OperatorAction = 'retry' | 'resolve' | 'pause' | 'resume' | 'abort';
/** Every operator action. */
export const OPERATOR_ACTIONS: readonly OperatorAction[] = [
  'retry',
  'resolve',
  'pause',
  'resume',
  'abort',
];

/** One recorded attempt (or operator action) in a transaction's history. */
export interface AttemptRecord {
  readonly gid: string;
  readonly branchId: string;
  /** The op called, or the operator action taken. */
  readonly op: OpName | OperatorAction;
  readonly attempt: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly outcome: OutcomeKind;
  readonly httpStatus: number | null;
  readonly message: string | null;
  /** Who took an operator action (a token's name); null for the coordinator's own calls. */
  readonly actor: string | null;
}

/** A transaction with all of its branch ops. */
export interface TransactionSnapshot {
  tx: TransactionRecord;
  ops: BranchOp[];
}

/** Headers the coordinator sends with every branch call. */
export const ACCORD_HEADERS = {
  gid: 'accord-gid',
  branch: 'accord-branch',
  op: 'accord-op',
  mode: 'accord-mode',
  signature: 'accord-signature',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** HTTP statuses of the native participant protocol. */
export const PARTICIPANT_STATUS = {
  /** Business refusal: forward ops abort the transaction. */
  failure: 409,
  /** Not finished yet: retried after a fixed interval. */
  ongoing: 425,
} as const;

/** Classifies an HTTP reply status by the native protocol (no body inspection). */
export function classifyStatus(status: number): OutcomeKind {
  if (status >= 200 && status < 300) return 'success';
  if (status === PARTICIPANT_STATUS.failure) return 'failure';
  if (status === PARTICIPANT_STATUS.ongoing) return 'ongoing';
  return 'error';
}

/** Stable key of a branch op within its transaction. */
export function opKey(branchId: string, op: OpName): string {
  return `${branchId}:${op}`;
}

/** The branchId the msg check-back op is stored under. */
export const CHECK_BRANCH_ID = '_check';
