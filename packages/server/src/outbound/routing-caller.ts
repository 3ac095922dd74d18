/**
 * Sends each branch call to the transport its target names: `broker://…` targets to the
 * configured brokers, everything else over HTTP.
 */
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';
import { isBrokerTarget } from '../brokers/broker-target.js';
import type { BranchCall } from './branch-caller.js';

/** A {@link BranchCall} that picks HTTP or a broker by the op's target. */
export class RoutingBranchCaller implements BranchCall {
  constructor(
    private readonly http: BranchCall,
    /** Null when no broker is configured. */
    private readonly brokers: BranchCall | null,
  ) {}

  call(tx: TransactionRecord, op: BranchOp, signal?: AbortSignal): Promise<Outcome> {
    if (!isBrokerTarget(op.url)) return this.http.call(tx, op, signal);
    if (this.brokers === null) {
      // Stored while brokers were configured, read by an instance without them: retried
      // (and in the end parked or failed) until an operator fixes the configuration.
      return Promise.resolve({
        kind: 'error',
        httpStatus: null,
        message:
          'the target names a broker, but this instance has none configured (ACCORD_BROKERS)',
      });
    }
    return this.brokers.call(tx, op, signal);
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.brokers?.close()]);
  }
}
