import type { AccordError } from '../errors.js';
import type { AttemptRecord, BranchOp, OpName, Outcome, TransactionRecord } from '../protocol.js';

/** What a transition may read besides the state: the time and a random source. */
export interface MachineContext {
  /** Current time, ms. */
  readonly now: number;
  /** Uniform random number in [0, 1), for backoff jitter. */
  readonly random: () => number;
}

/** Inputs that move a transaction. */
export type MachineEvent =
  /** Re-evaluate: fire timeouts, dispatch ops whose retry time has come. */
  | { readonly type: 'wake' }
  /** Client submits a prepared tcc/msg transaction. */
  | { readonly type: 'submit' }
  /**
   * Client aborts a prepared tcc/msg transaction. With `actor` set (the native API), the
   * abort is recorded in the history as that actor's action.
   */
  | { readonly type: 'abort'; readonly reason: string; readonly actor?: string | null | undefined }
  /** Client registers a tcc branch: its confirm and cancel ops. */
  | { readonly type: 'register'; readonly ops: readonly BranchOp[] }
  /** A branch call came back (or timed out). */
  | {
      readonly type: 'result';
      readonly branchId: string;
      readonly op: OpName;
      readonly attempt: number;
      readonly startedAt: number;
      readonly outcome: Outcome;
    }
  /**
   * A branch call was held back before it went out (its participant is paused, or over
   * its concurrency or rate cap): not an attempt and not a failure. The op stays pending,
   * its attempt is given back, and it is due again at `until`.
   */
  | {
      readonly type: 'held';
      readonly branchId: string;
      readonly op: OpName;
      readonly attempt: number;
      readonly until: number;
    }
  /** Operator: unpark and run due work now. */
  | ({ readonly type: 'retry' } & OperatorNote)
  /** Operator: mark the transaction terminal by hand. */
  | ({
      readonly type: 'resolve';
      readonly status: 'succeeded' | 'failed';
      readonly reason: string;
    } & OperatorNote)
  /** Operator: stop driving it (nothing is called, timeouts wait) until resumed. */
  | ({ readonly type: 'pause'; readonly reason: string } & OperatorNote)
  /** Operator: drive a paused transaction again, its waiting calls due now. */
  | ({ readonly type: 'resume'; readonly reason: string } & OperatorNote);

/** Who took an operator action and why, for the history. */
export interface OperatorNote {
  /** The token's name; null or absent when unknown. */
  readonly actor?: string | null | undefined;
  readonly reason?: string | undefined;
}

/**
 * The state a driver holds while it owns a transaction: the stored snapshot plus the
 * ops whose calls are in flight (by {@link opKey}). In-flight calls are never stored:
 * a new owner treats every pending op as possibly in flight elsewhere and simply
 * calls it again, which participants must tolerate (the barrier).
 */
export interface DriveState {
  readonly tx: TransactionRecord;
  readonly ops: readonly BranchOp[];
  readonly inFlight: ReadonlySet<string>;
}

/**
 * Something operators must hear about: a transaction parked for them, a best-effort
 * notification that failed for good, or a transaction stuck for too long.
 */
export interface Alert {
  /** `stuck`: non-terminal for longer than its mode's threshold (raised once, by the coordinator). */
  readonly kind: 'parked' | 'failed' | 'stuck';
  readonly gid: string;
  /** The branch concerned; `-` for a stuck transaction. */
  readonly branchId: string;
  /** The op concerned; null for a stuck transaction. */
  readonly op: OpName | null;
  readonly reason: string;
}

/** Outcome of one transition: the new state and the effects to perform, in order. */
export interface Decision {
  readonly state: DriveState;
  /** Whether the transaction or any op changed, so a write is needed. */
  readonly changed: boolean;
  /** Ops whose rows changed, to persist. */
  readonly changedOps: readonly BranchOp[];
  /** Attempts to append to the history. */
  readonly attempts: readonly AttemptRecord[];
  /** Ops to call once the write is durable; their attempt counters already include this call. */
  readonly dispatch: readonly BranchOp[];
  readonly alerts: readonly Alert[];
  /** Set when the event is not allowed in the current state; nothing else changed then. */
  readonly rejection: AccordError | null;
}
