/**
 * Mapping between records and the column values of the SQL stores. Both SQL backends use
 * the same column names; drivers differ in how they hand back values (pg: int8 as string,
 * jsonb parsed, real booleans; better-sqlite3: numbers, text, 0/1), which the readers
 * here absorb.
 */
import type {
  AttemptRecord,
  BranchError,
  BranchOp,
  GlobalStatus,
  Mode,
  OpName,
  OpStatus,
  OutcomeKind,
  StoreSummary,
  TransactionOptions,
  TransactionRecord,
} from '@accord/core';

/** A result row as a driver returns it. */
export type Row = Record<string, unknown>;

/** Column values of a transaction row (JSON and booleans still as JS values). */
export interface TransactionColumns {
  gid: string;
  mode: Mode;
  status: GlobalStatus;
  options: TransactionOptions;
  check_url: string | null;
  fingerprint: string;
  reason: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  deadline_at: number | null;
  next_attempt_at: number | null;
  parked: boolean;
  paused: boolean;
  labels: Readonly<Record<string, string>>;
  lease_owner: string | null;
  lease_until: number;
  fence: number;
}

/** Column values of a branch op row, without the gid. */
export interface BranchOpColumns {
  branch_id: string;
  op: OpName;
  url: string;
  payload: string;
  seq: number;
  depends_on: readonly string[];
  max_attempts: number | null;
  status: OpStatus;
  attempts: number;
  failures: number;
  next_attempt_at: number;
  last_error_status: number | null;
  last_error_message: string | null;
  last_error_at: number | null;
  updated_at: number;
}

/** Column values of an attempt row, without the gid. */
export interface AttemptColumns {
  branch_id: string;
  op: AttemptRecord['op'];
  attempt: number;
  started_at: number;
  finished_at: number;
  outcome: OutcomeKind;
  http_status: number | null;
  message: string | null;
  actor: string | null;
}

function int(value: unknown, column: string): number {
  const n = typeof value === 'string' || typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new Error(`store column ${column}: expected an integer, got ${String(value)}`);
  }
  return n;
}

function intOrNull(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : int(value, column);
}

function text(value: unknown, column: string): string {
  if (typeof value !== 'string') throw new Error(`store column ${column}: expected text`);
  return value;
}

function textOrNull(value: unknown, column: string): string | null {
  return value === null || value === undefined ? null : text(value, column);
}

function json(value: unknown, column: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new Error(`store column ${column}: invalid JSON`);
  }
}

/** The columns of a transaction record. */
export function transactionColumns(tx: TransactionRecord): TransactionColumns {
  return {
    gid: tx.gid,
    mode: tx.mode,
    status: tx.status,
    options: tx.options,
    check_url: tx.checkUrl,
    fingerprint: tx.fingerprint,
    reason: tx.reason,
    created_at: tx.createdAt,
    updated_at: tx.updatedAt,
    finished_at: tx.finishedAt,
    deadline_at: tx.deadlineAt,
    next_attempt_at: tx.nextAttemptAt,
    parked: tx.parked,
    paused: tx.paused,
    labels: tx.labels,
    lease_owner: tx.leaseOwner,
    lease_until: tx.leaseUntil,
    fence: tx.fence,
  };
}

/** The columns of a branch op. */
export function branchOpColumns(op: BranchOp): BranchOpColumns {
  return {
    branch_id: op.branchId,
    op: op.op,
    url: op.url,
    payload: op.payload,
    seq: op.seq,
    depends_on: op.dependsOn,
    max_attempts: op.maxAttempts,
    status: op.status,
    attempts: op.attempts,
    failures: op.failures,
    next_attempt_at: op.nextAttemptAt,
    last_error_status: op.lastError?.httpStatus ?? null,
    last_error_message: op.lastError?.message ?? null,
    last_error_at: op.lastError?.at ?? null,
    updated_at: op.updatedAt,
  };
}

/** The columns of an attempt. */
export function attemptColumns(a: AttemptRecord): AttemptColumns {
  return {
    branch_id: a.branchId,
    op: a.op,
    attempt: a.attempt,
    started_at: a.startedAt,
    finished_at: a.finishedAt,
    outcome: a.outcome,
    http_status: a.httpStatus,
    message: a.message,
    actor: a.actor,
  };
}

/** Reads a transaction row. */
export function toTransaction(row: Row): TransactionRecord {
  return {
    gid: text(row['gid'], 'gid'),
    mode: text(row['mode'], 'mode') as Mode,
    status: text(row['status'], 'status') as GlobalStatus,
    options: json(row['options'], 'options') as TransactionOptions,
    checkUrl: textOrNull(row['check_url'], 'check_url'),
    fingerprint: text(row['fingerprint'], 'fingerprint'),
    reason: textOrNull(row['reason'], 'reason'),
    createdAt: int(row['created_at'], 'created_at'),
    updatedAt: int(row['updated_at'], 'updated_at'),
    finishedAt: intOrNull(row['finished_at'], 'finished_at'),
    deadlineAt: intOrNull(row['deadline_at'], 'deadline_at'),
    nextAttemptAt: intOrNull(row['next_attempt_at'], 'next_attempt_at'),
    parked: row['parked'] === true || row['parked'] === 1,
    paused: row['paused'] === true || row['paused'] === 1,
    labels: labelsOf(row['labels']),
    leaseOwner: textOrNull(row['lease_owner'], 'lease_owner'),
    leaseUntil: int(row['lease_until'], 'lease_until'),
    fence: int(row['fence'], 'fence'),
  };
}

/** Reads a branch op row. */
export function toBranchOp(row: Row): BranchOp {
  const errorAt = intOrNull(row['last_error_at'], 'last_error_at');
  const lastError: BranchError | null =
    errorAt === null
      ? null
      : {
          httpStatus: intOrNull(row['last_error_status'], 'last_error_status'),
          message: text(row['last_error_message'], 'last_error_message'),
          at: errorAt,
        };
  return {
    branchId: text(row['branch_id'], 'branch_id'),
    op: text(row['op'], 'op') as OpName,
    url: text(row['url'], 'url'),
    payload: text(row['payload'], 'payload'),
    seq: int(row['seq'], 'seq'),
    dependsOn: json(row['depends_on'], 'depends_on') as string[],
    maxAttempts: intOrNull(row['max_attempts'], 'max_attempts'),
    status: text(row['status'], 'status') as OpStatus,
    attempts: int(row['attempts'], 'attempts'),
    failures: int(row['failures'], 'failures'),
    nextAttemptAt: int(row['next_attempt_at'], 'next_attempt_at'),
    lastError,
    updatedAt: int(row['updated_at'], 'updated_at'),
  };
}

/** Reads an attempt row. */
export function toAttempt(row: Row): AttemptRecord {
  return {
    gid: text(row['gid'], 'gid'),
    branchId: text(row['branch_id'], 'branch_id'),
    op: text(row['op'], 'op') as AttemptRecord['op'],
    attempt: int(row['attempt'], 'attempt'),
    startedAt: int(row['started_at'], 'started_at'),
    finishedAt: int(row['finished_at'], 'finished_at'),
    outcome: text(row['outcome'], 'outcome') as OutcomeKind,
    httpStatus: intOrNull(row['http_status'], 'http_status'),
    message: textOrNull(row['message'], 'message'),
    actor: textOrNull(row['actor'], 'actor'),
  };
}

/** Labels as stored (JSON text or object); none for rows written before labels existed. */
function labelsOf(value: unknown): Record<string, string> {
  if (value === null || value === undefined || value === '') return {};
  const parsed = json(value, 'labels');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('store column labels: expected a JSON object');
  }
  return parsed as Record<string, string>;
}

/** Keeps the last op per (branchId, op), so one write never upserts a key twice. */
export function lastPerKey(ops: readonly BranchOp[]): BranchOp[] {
  const byKey = new Map<string, BranchOp>();
  for (const op of ops) byKey.set(`${op.branchId}\u0000${op.op}`, op);
  return [...byKey.values()];
}

/** Groups op rows by gid, keeping their order. */
export function groupOps(rows: readonly Row[]): Map<string, BranchOp[]> {
  const byGid = new Map<string, BranchOp[]>();
  for (const row of rows) {
    const gid = text(row['gid'], 'gid');
    const list = byGid.get(gid) ?? [];
    list.push(toBranchOp(row));
    byGid.set(gid, list);
  }
  return byGid;
}

/** Due order of claimed transactions: earliest `nextAttemptAt` first, then gid. */
export function byDueOrder(a: TransactionRecord, b: TransactionRecord): number {
  const at = (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0);
  if (at !== 0) return at;
  return a.gid < b.gid ? -1 : a.gid > b.gid ? 1 : 0;
}

/** Reads the rows of a `countLive` query (mode, status, parked, n) and an `oldestDue` value. */
export function toStoreSummary(rows: readonly Row[], oldestDue: unknown): StoreSummary {
  return {
    live: rows.map((row) => ({
      mode: text(row['mode'], 'mode') as Mode,
      status: text(row['status'], 'status') as GlobalStatus,
      parked: row['parked'] === true || row['parked'] === 1 || row['parked'] === '1',
      count: int(row['n'], 'n'),
    })),
    oldestDueAt: intOrNull(oldestDue ?? null, 'oldest due'),
  };
}
