import type { Alert, BranchOp, Outcome, TransactionRecord } from '@accord/core';

/** What the engine reports as it works; metrics, logs and alerts hang off it. */
export interface EngineObserver {
  /** A branch call finished. */
  branchCall(tx: TransactionRecord, op: BranchOp, outcome: Outcome, seconds: number): void;
  /** A transaction reached a terminal status. */
  terminal(tx: TransactionRecord): void;
  /** Operators must hear of this: a transaction parked, or a notification failed for good. */
  alert(alert: Alert, tx: TransactionRecord): void;
  /** A store batch was written. */
  storeWrite(batchSize: number, seconds: number): void;
  /** Due work was claimed; `lagSeconds` is how late the most overdue one was. */
  claimed(count: number, lagSeconds: number): void;
  /** Retention deleted this many old terminal transactions. */
  purged(count: number): void;
  /** The engine stopped holding a lease it did not give up itself (expired and claimed again, fenced out, or the store failed). */
  lost(tx: TransactionRecord, why: string): void;
}

/** An observer that ignores everything. */
export const silentObserver: EngineObserver = {
  branchCall: () => undefined,
  terminal: () => undefined,
  alert: () => undefined,
  storeWrite: () => undefined,
  claimed: () => undefined,
  purged: () => undefined,
  lost: () => undefined,
};
