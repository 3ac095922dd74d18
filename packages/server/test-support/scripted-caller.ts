/**
 * A programmable participant for engine tests: answers each branch call from a script,
 * can hold a call open, and records every call in order. Stands in for remote services
 * only; stores are always real.
 */
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';
import type { BranchCall } from '../src/engine/branch-call.js';

/** One recorded call. */
export interface RecordedCall {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
  readonly attempt: number;
}

/**
 * Decides the answer to a call; may return a promise to hold the call open (and watch
 * `signal`, which aborts when the engine abandons the call).
 */
export type Script = (
  call: RecordedCall,
  nth: number,
  signal: AbortSignal | undefined,
) => Outcome | Promise<Outcome>;

/** Shorthands for outcomes. */
export const reply = {
  ok: { kind: 'success', httpStatus: 200, message: null } as Outcome,
  refuse: { kind: 'failure', httpStatus: 409, message: 'refused' } as Outcome,
  ongoing: { kind: 'ongoing', httpStatus: 425, message: null } as Outcome,
  error: { kind: 'error', httpStatus: 503, message: 'unavailable' } as Outcome,
  timeout: { kind: 'error', httpStatus: null, message: 'timed out' } as Outcome,
};

/** A {@link BranchCall} driven by a script. */
export class ScriptedCaller implements BranchCall {
  readonly calls: RecordedCall[] = [];
  private readonly counts = new Map<string, number>();

  constructor(public script: Script = () => reply.ok) {}

  async call(tx: TransactionRecord, op: BranchOp, signal?: AbortSignal): Promise<Outcome> {
    const call = { gid: tx.gid, branchId: op.branchId, op: op.op, attempt: op.attempts };
    this.calls.push(call);
    const key = `${tx.gid}/${op.branchId}/${op.op}`;
    const nth = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, nth);
    return this.script(call, nth, signal);
  }

  /** Calls of one transaction as `branchId:op` strings, in order. */
  sequence(gid: string): string[] {
    return this.calls.filter((c) => c.gid === gid).map((c) => `${c.branchId}:${c.op}`);
  }

  async close(): Promise<void> {}
}
