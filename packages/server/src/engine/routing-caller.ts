/**
 * Sends each branch call to the transport its target names, falling back to a default
 * one. Which transports exist is the server's to say (see server.ts): `broker://…`
 * targets to the configured brokers, everything else over HTTP.
 */
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';
import type { BranchCall } from './branch-call.js';

/** One transport besides the default: the targets it takes and its caller. */
export interface BranchRoute {
  /** Whether a target URL belongs to this transport. */
  takes(url: string): boolean;
  /** Null when the transport is not configured on this instance. */
  readonly caller: BranchCall | null;
  /** The error outcome's message for a target of an unconfigured transport. */
  readonly unconfigured: string;
}

/** A {@link BranchCall} that picks a transport by the op's target. */
export class RoutingBranchCaller implements BranchCall {
  constructor(
    private readonly fallback: BranchCall,
    private readonly routes: readonly BranchRoute[],
  ) {}

  call(
    tx: TransactionRecord,
    op: BranchOp,
    signal?: AbortSignal,
    traceparent?: string,
  ): Promise<Outcome> {
    const route = this.routes.find((r) => r.takes(op.url));
    if (route === undefined) return this.fallback.call(tx, op, signal, traceparent);
    if (route.caller === null) {
      // Stored while the transport was configured, read by an instance without it: retried
      // (and in the end parked or failed) until an operator fixes the configuration.
      return Promise.resolve({ kind: 'error', httpStatus: null, message: route.unconfigured });
    }
    return route.caller.call(tx, op, signal, traceparent);
  }

  async close(): Promise<void> {
    await Promise.all([this.fallback.close(), ...this.routes.map((r) => r.caller?.close())]);
  }
}
