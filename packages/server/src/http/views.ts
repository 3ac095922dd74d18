/** Wire shapes of transactions and attempts (docs/protocol.md, "Shapes"). */
import type {
  Attempt,
  AttemptRecord,
  Branch,
  BranchError,
  BranchLastError,
  BranchOp,
  Notification,
  Transaction,
  TransactionRecord,
  TransactionSnapshot,
} from '@accord/core';
import { deliveryDueAt } from '@accord/core';

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function parsePayload(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function lastErrorView(error: BranchError | null): BranchLastError | null {
  return error ? { httpStatus: error.httpStatus, message: error.message, at: iso(error.at) } : null;
}

/** A branch op as the API shows it. */
export function branchView(op: BranchOp): Branch {
  return {
    branchId: op.branchId,
    op: op.op,
    url: op.url,
    payload: parsePayload(op.payload),
    dependsOn: [...op.dependsOn],
    status: op.status,
    attempts: op.attempts,
    nextAttemptAt: iso(op.nextAttemptAt),
    lastError: lastErrorView(op.lastError),
  };
}

/** A transaction record without its branches (listings). */
export function transactionSummary(tx: TransactionRecord): Transaction {
  const { schedule, headers, deliverAt, ...options } = tx.options;
  return {
    gid: tx.gid,
    mode: tx.mode,
    status: tx.status,
    reason: tx.reason,
    parked: tx.parked,
    paused: tx.paused,
    labels: { ...tx.labels },
    createdAt: iso(tx.createdAt),
    updatedAt: iso(tx.updatedAt),
    finishedAt: iso(tx.finishedAt),
    nextAttemptAt: iso(tx.nextAttemptAt),
    options: {
      ...options,
      headers: { ...headers },
      ...(schedule && { schedule: [...schedule] }),
      ...(deliverAt !== undefined && { deliverAt: iso(deliverAt) }),
    },
    checkUrl: tx.checkUrl,
  };
}

/** A transaction with its branches. */
export function transactionView(snapshot: TransactionSnapshot): Transaction {
  return { ...transactionSummary(snapshot.tx), branches: snapshot.ops.map(branchView) };
}

/** One attempt of the history. */
export function attemptView(a: AttemptRecord): Attempt {
  return {
    branchId: a.branchId,
    op: a.op,
    attempt: a.attempt,
    startedAt: iso(a.startedAt),
    finishedAt: iso(a.finishedAt),
    outcome: a.outcome,
    httpStatus: a.httpStatus,
    message: a.message,
    actor: a.actor,
  };
}

/** What a notification's receiver and sender see of it. */
export function notificationView(snapshot: TransactionSnapshot): Notification {
  const { tx } = snapshot;
  const delivery = snapshot.ops.find((o) => o.op === 'action');
  return {
    id: tx.gid,
    status: tx.status === 'succeeded' || tx.status === 'failed' ? tx.status : 'pending',
    url: delivery?.url ?? '',
    payload: delivery ? parsePayload(delivery.payload) : null,
    schedule: [...(tx.options.schedule ?? [])],
    ackBody: tx.options.ackBody ?? null,
    attempts: delivery?.attempts ?? 0,
    deliverAt: iso(deliveryDueAt(tx.options, tx.createdAt)),
    nextAttemptAt: iso(tx.nextAttemptAt),
    lastError: lastErrorView(delivery?.lastError ?? null),
    reason: tx.reason,
    createdAt: iso(tx.createdAt),
    updatedAt: iso(tx.updatedAt),
    finishedAt: iso(tx.finishedAt),
  };
}
