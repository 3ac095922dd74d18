/**
 * The fields every log line about a transaction carries, built in one place so that a
 * `gid` filter, a `trace_id` filter (from a trace viewer) and a `branch` filter all find
 * the same lines.
 */
import type { TransactionRecord } from '@accord/core';
import { transactionSpanContext } from '../outbound/call-trace.js';

/** A branch and op a line is about; both null when the line is about the whole transaction. */
export interface LoggedStep {
  readonly branchId: string;
  readonly op: string | null;
}

/** The log bindings of a transaction (see {@link transactionLogFields}). */
export interface TransactionLogFields {
  readonly gid: string;
  /** The trace id of the transaction's stored trace context (derived from the gid for older records). */
  readonly trace_id: string;
  readonly branch?: string;
  readonly op?: string;
}

/**
 * `gid` and `trace_id` of `tx`, with `branch` and `op` when the line is about one step.
 *
 * @example
 * logger.warn({ ...transactionLogFields(tx, op), httpStatus: 500 }, 'branch call did not succeed');
 * // {"gid":"42","trace_id":"0af7…","branch":"01","op":"action","httpStatus":500,…}
 */
export function transactionLogFields(
  tx: TransactionRecord,
  step?: LoggedStep | null,
): TransactionLogFields {
  const fields = { gid: tx.gid, trace_id: transactionSpanContext(tx).traceId };
  if (step === undefined || step === null) return fields;
  return {
    ...fields,
    // `-` is the branch id of alerts about the whole transaction (stuck).
    ...(step.branchId === '' || step.branchId === '-' ? {} : { branch: step.branchId }),
    ...(step.op === null ? {} : { op: step.op }),
  };
}
