/**
 * DTM's calling convention for branch calls of transactions created through the
 * DTM-compatible API: the branch's URL with `gid`, `trans_type`, `branch_id` and `op` in
 * the query string, POST when there is a body (always for xa), GET otherwise, and replies
 * read by status and, for older participants, by the `dtm_result` words in a 200 body.
 */
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';
import { CHECK_BRANCH_ID } from '@accord/core';

/** How DTM names the msg check-back call: branch `00`, op `msg`. */
export const DTM_CHECK = { branchId: '00', op: 'msg' } as const;

/** The request of one DTM-convention branch call. */
export interface DtmCall {
  readonly url: string;
  readonly method: 'GET' | 'POST';
}

/** Builds the URL and method of a branch call the way DTM makes it. */
export function dtmCallOf(tx: TransactionRecord, op: BranchOp): DtmCall {
  const check = op.branchId === CHECK_BRANCH_ID && op.op === 'check';
  const url = new URL(op.url);
  url.searchParams.set('gid', tx.gid);
  url.searchParams.set('trans_type', tx.mode);
  url.searchParams.set('branch_id', check ? DTM_CHECK.branchId : op.branchId);
  url.searchParams.set('op', check ? DTM_CHECK.op : op.op);
  const method = op.payload !== '' || tx.mode === 'xa' ? 'POST' : 'GET';
  return { url: url.toString(), method };
}

/**
 * Classifies a reply by DTM's rules: 425 or `ONGOING` in a 200 body is ongoing, 409 or
 * `FAILURE` in a 200 body a failure, any other 200 a success, everything else an unknown
 * outcome (retried). Unlike DTM, words in the body of a non-200 reply are not read: a
 * 500 whose text mentions FAILURE is retried rather than taken as a refusal.
 */
export function dtmOutcome(status: number, body: string | null): Outcome {
  const text = body ?? '';
  if (status === 425 || (status === 200 && text.includes('ONGOING'))) {
    return { kind: 'ongoing', httpStatus: status, message: body };
  }
  if (status === 409 || (status === 200 && text.includes('FAILURE'))) {
    return { kind: 'failure', httpStatus: status, message: body };
  }
  if (status === 200) return { kind: 'success', httpStatus: status, message: null };
  return { kind: 'error', httpStatus: status, message: body };
}
