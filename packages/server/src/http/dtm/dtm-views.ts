/**
 * Accord's transactions in DTM's shapes: the global record and branch rows as DTM's
 * `query` and `all` answer them (snake_case fields, DTM's status words, base64 data),
 * typed by their schemas in @accord/core/schemas, so a field cannot drift from them.
 */
import type {
  BranchOp,
  GlobalStatus,
  OpStatus,
  TransactionRecord,
  TransactionSnapshot,
} from '@accord/core';
import { CHECK_BRANCH_ID } from '@accord/core';
import type { DtmBranch, DtmTransaction } from '@accord/core/schemas';
import { DTM_CHECK } from '../../outbound/dtm-convention.js';

/** DTM's word for each global status (`succeed`, not `succeeded`). */
export const DTM_STATUS: Readonly<Record<GlobalStatus, DtmTransaction['status']>> = {
  prepared: 'prepared',
  submitted: 'submitted',
  aborting: 'aborting',
  succeeded: 'succeed',
  failed: 'failed',
};

/** The global status a DTM status word names, if any. */
export function statusFromDtm(word: string): GlobalStatus | undefined {
  return (Object.keys(DTM_STATUS) as GlobalStatus[]).find((s) => DTM_STATUS[s] === word);
}

const BRANCH_STATUS: Readonly<Record<OpStatus, DtmBranch['status']>> = {
  pending: 'prepared',
  succeeded: 'succeed',
  failed: 'failed',
};

function iso(ms: number | null): string | undefined {
  return ms === null ? undefined : new Date(ms).toISOString();
}

const SECONDS = 1000;

/** saga/msg: the steps and their payloads, rebuilt from the action (and compensate) ops. */
function stepsOf(ops: readonly BranchOp[]) {
  const actions = ops.filter((o) => o.op === 'action').sort((a, b) => a.seq - b.seq);
  const steps = actions.map((a) => {
    const compensate = ops.find((o) => o.branchId === a.branchId && o.op === 'compensate');
    return compensate ? { action: a.url, compensate: compensate.url } : { action: a.url };
  });
  return { steps, payloads: actions.map((a) => a.payload) };
}

/** saga: `custom_data` with `concurrent` and `orders` as DTM's client wrote them. */
function customDataOf(tx: TransactionRecord, ops: readonly BranchOp[]): string | undefined {
  if (!tx.options.concurrent) return undefined;
  const actions = ops.filter((o) => o.op === 'action').sort((a, b) => a.seq - b.seq);
  const index = new Map(actions.map((a) => [a.branchId, a.seq]));
  const orders: Record<string, number[]> = {};
  for (const a of actions) {
    if (a.dependsOn.length > 0) orders[String(a.seq)] = a.dependsOn.map((d) => index.get(d) ?? -1);
  }
  return JSON.stringify({ concurrent: true, orders });
}

/** The global record as DTM's `query` and `all` show it. */
export function dtmTransaction(snapshot: TransactionSnapshot): DtmTransaction {
  const { tx, ops } = snapshot;
  const { steps, payloads } = stepsOf(ops);
  const { options } = tx;
  return {
    gid: tx.gid,
    trans_type: tx.mode,
    status: DTM_STATUS[tx.status],
    ...(steps.length > 0 ? { steps, payloads } : {}),
    query_prepared: tx.checkUrl ?? undefined,
    protocol: 'http' as const,
    create_time: iso(tx.createdAt),
    update_time: iso(tx.updatedAt),
    finish_time: tx.status === 'succeeded' ? iso(tx.finishedAt) : undefined,
    rollback_time: tx.status === 'failed' ? iso(tx.finishedAt) : undefined,
    rollback_reason: tx.reason ?? undefined,
    custom_data: customDataOf(tx, ops),
    next_cron_time: iso(tx.nextAttemptAt),
    owner: tx.leaseOwner ?? undefined,
    timeout_to_fail: options.timeoutMs === null ? undefined : options.timeoutMs / SECONDS,
    request_timeout: options.requestTimeoutMs / SECONDS,
    retry_interval: options.retry.firstDelayMs / SECONDS,
    retry_limit: options.retry.maxAttempts,
    branch_headers: Object.keys(options.headers).length > 0 ? options.headers : undefined,
    concurrent: options.concurrent,
    parked: tx.parked,
  };
}

/** One branch op as a DTM branch row; the msg check-back shows as DTM's `00`/`msg`. */
export function dtmBranch(gid: string, op: BranchOp): DtmBranch {
  const check = op.branchId === CHECK_BRANCH_ID && op.op === 'check';
  return {
    gid,
    url: op.url,
    bin_data: op.payload === '' ? undefined : Buffer.from(op.payload).toString('base64'),
    branch_id: check ? DTM_CHECK.branchId : op.branchId,
    op: check ? DTM_CHECK.op : op.op,
    status: BRANCH_STATUS[op.status],
    update_time: iso(op.updatedAt),
    finish_time: op.status === 'succeeded' ? iso(op.updatedAt) : undefined,
    rollback_time: op.status === 'failed' ? iso(op.updatedAt) : undefined,
  };
}

/** The branch rows of a transaction, in registration order. */
export function dtmBranches(snapshot: TransactionSnapshot): DtmBranch[] {
  return [...snapshot.ops]
    .sort((a, b) => a.seq - b.seq)
    .map((op) => dtmBranch(snapshot.tx.gid, op));
}
