/**
 * The engine's port for holding branch calls back before they go out: a participant
 * paused by an operator, or one at its concurrency or rate cap. The engine asks before
 * every call and reports every call's end; what it hears decides whether the call is
 * made now or given back to the transaction, neither an attempt nor a failure.
 */
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';

/** The gate's answer to one call. */
export type Admission =
  /** Call now; `done` must be called once when the call ends (null: it was not made). */
  | { readonly kind: 'go'; done(outcome: Outcome | null, ms: number): void }
  /** Do not call: the op is due again at `until` (ms). */
  | { readonly kind: 'held'; readonly until: number };

/** Decides, call by call, whether a branch call may go out now. */
export interface CallGate {
  /**
   * The answer at once when there is no reason to wait; else a promise of it, which
   * resolves once the call may go out, or to `held` when it may not go out soon (the
   * participant is paused, or its caps keep it waiting too long, or `signal` aborted).
   */
  admit(tx: TransactionRecord, op: BranchOp, signal: AbortSignal): Admission | Promise<Admission>;
}

const GO: Admission = { kind: 'go', done: () => undefined };

/** A gate that lets every call through. */
export const openGate: CallGate = { admit: () => GO };
