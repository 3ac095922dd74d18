/**
 * The engine's port for performing branch calls: it depends on this, not on HTTP or a
 * broker. Transports implement it (outbound/, brokers/); the server assembles them.
 */
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';

/** Anything that can perform a branch call. */
export interface BranchCall {
  /**
   * Performs one call. When `signal` aborts, the call ends at once (the request is
   * abandoned and its connection closed); what was already sent cannot be taken back.
   * `traceparent` is the attempt's span context when a tracer made a span for it; without
   * one the call carries a fresh child of the transaction's trace context.
   */
  call(
    tx: TransactionRecord,
    op: BranchOp,
    signal?: AbortSignal,
    traceparent?: string,
  ): Promise<Outcome>;
  close(): Promise<void>;
}
