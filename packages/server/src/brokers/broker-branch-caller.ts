/**
 * Delivers branch ops whose target is `broker://...` by publishing a message, with the
 * same headers (and signature) the HTTP caller sends. A publish the broker confirmed is a
 * success; anything else is an `error` outcome, retried by the engine like a network
 * failure (a repeat carries the same message id, so consumers and JetStream can dedupe).
 */
import type { BranchOp, Clock, Outcome, TransactionRecord } from '@accord/core';
import { systemClock } from '@accord/core';
import { branchCallHeaders } from '@accord/protocol';
import { errorText, type BrokerMessage } from '@accord/protocol/brokers';
import type { BranchCall } from '../engine/branch-call.js';
import type { BrokerRegistry } from './broker-registry.js';
import { BrokerTargetError, parseBrokerTarget, type BrokerTarget } from './broker-target.js';
import { callTrace } from '../outbound/call-trace.js';

/** Settings of a {@link BrokerBranchCaller}. */
export interface BrokerBranchCallerOptions {
  readonly registry: BrokerRegistry;
  /** Clock of the signature timestamp (default: the system clock). */
  readonly clock?: Clock;
  /** Secret of the `accord-signature` header; null sends none. */
  readonly signingSecret: string | null;
}

/** The message id of a branch op: stable across retries of the same op. */
export function brokerMessageId(tx: TransactionRecord, op: BranchOp): string {
  return `${tx.gid}/${op.branchId}`;
}

/**
 * The {@link BranchCall} for broker targets. `close()` closes the registry.
 *
 * @example
 * const caller = new BrokerBranchCaller({ registry, signingSecret: null });
 * await caller.call(tx, op); // { kind: 'success', httpStatus: null, message: null }
 */
export class BrokerBranchCaller implements BranchCall {
  private readonly clock: Clock;

  constructor(private readonly options: BrokerBranchCallerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async call(
    tx: TransactionRecord,
    op: BranchOp,
    _signal?: AbortSignal,
    traceparent?: string,
  ): Promise<Outcome> {
    let target: BrokerTarget | null;
    try {
      target = parseBrokerTarget(op.url);
    } catch (error) {
      return failed(error instanceof BrokerTargetError ? error.message : errorText(error));
    }
    if (target === null) return failed(`"${op.url}" is not a broker:// target`);
    try {
      const result = await this.options.registry.publish(
        target,
        this.message(tx, op, traceparent),
        tx.options.requestTimeoutMs,
      );
      return result.ok
        ? { kind: 'success', httpStatus: null, message: null }
        : failed(result.message);
    } catch (error) {
      return failed(errorText(error));
    }
  }

  async close(): Promise<void> {
    await this.options.registry.close();
  }

  private message(
    tx: TransactionRecord,
    op: BranchOp,
    traceparent: string | undefined,
  ): BrokerMessage {
    const headers = branchCallHeaders(
      { gid: tx.gid, branchId: op.branchId, op: op.op, mode: tx.mode },
      op.payload,
      {
        extra: tx.options.headers,
        signingSecret: this.options.signingSecret,
        now: this.clock.now(),
        trace: callTrace(tx, traceparent),
      },
    );
    return { id: brokerMessageId(tx, op), body: op.payload, headers };
  }
}

function failed(message: string): Outcome {
  return { kind: 'error', httpStatus: null, message };
}
