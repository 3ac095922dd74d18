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
   */
  call(tx: TransactionRecord, op: BranchOp, signal?: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}
