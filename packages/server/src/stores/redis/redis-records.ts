/**
 * Mapping between records and Redis values. The record hash uses the column names of the
 * SQL stores (`status`, `next_attempt_at`, ...), so the readers of `common/rows.ts` parse
 * it; nulls are absent fields. Ops and attempts are JSON values of the same columns.
 */
import {
  isTerminal,
  opKey,
  type AttemptRecord,
  type BranchOp,
  type GlobalStatus,
  type TransactionRecord,
  type TransactionSnapshot,
  type TransactionWrite,
} from '@accord/core';
import {
  attemptColumns,
  branchOpColumns,
  lastPerKey,
  toAttempt,
  toBranchOp,
  toTransaction,
  transactionColumns,
  type Row,
} from '../common/rows.js';
import { MAX_CREATED_AT, createdMember } from './redis-keys.js';

/** A hash as Redis returns it (HGETALL, flattened). */
export type RawHash = Record<string, string>;

/** Field/value pairs (flattened) and fields to delete. */
export interface HashChange {
  readonly set: string[];
  readonly del: string[];
}

function value(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`redis store: not an integer: ${v}`);
    return String(v);
  }
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function change(columns: object): HashChange {
  const set: string[] = [];
  const del: string[] = [];
  for (const [field, v] of Object.entries(columns)) {
    const text = value(v);
    if (text === null) del.push(field);
    else set.push(field, text);
  }
  return { set, del };
}

/** The fields of a new record (nulls omitted). */
export function recordFields(tx: TransactionRecord): string[] {
  if (!Number.isSafeInteger(tx.createdAt) || tx.createdAt < 0 || tx.createdAt > MAX_CREATED_AT) {
    throw new Error(`redis store: createdAt out of range: ${tx.createdAt}`);
  }
  return change(transactionColumns(tx)).set;
}

/** The record fields a write sets and clears. */
export function writeChange(w: TransactionWrite): HashChange {
  const t = w.tx;
  return change({
    status: t.status,
    reason: t.reason,
    updated_at: t.updatedAt,
    finished_at: t.finishedAt,
    deadline_at: t.deadlineAt,
    next_attempt_at: t.nextAttemptAt,
    parked: t.parked,
    paused: t.paused,
  });
}

/** Op field/value pairs (flattened); the last op per key wins. */
export function opFields(ops: readonly BranchOp[]): string[] {
  return lastPerKey(ops).flatMap((op) => [
    opKey(op.branchId, op.op),
    JSON.stringify(branchOpColumns(op)),
  ]);
}

/** Attempt JSON values. */
export function attemptValues(attempts: readonly AttemptRecord[]): string[] {
  return attempts.map((a) => JSON.stringify(attemptColumns(a)));
}

/**
 * An HGETALL reply as an object: flattened from a script, or already an object when
 * ioredis transformed a plain HGETALL.
 */
export function toHash(reply: unknown): RawHash {
  const hash: RawHash = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [field, v] of Object.entries(reply)) hash[field] = String(v);
  }
  return hash;
}

/** Reads a record hash. */
export function toRecord(hash: RawHash): TransactionRecord {
  const row: Row = { ...hash, parked: hash['parked'] === '1', paused: hash['paused'] === '1' };
  return toTransaction(row);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads op JSON values, in `get` order: seq, then branchId, then op. */
export function toOps(values: unknown): BranchOp[] {
  if (!Array.isArray(values)) return [];
  return values
    .map((v) => toBranchOp(JSON.parse(String(v)) as Row))
    .sort(
      (x, y) => x.seq - y.seq || compareText(x.branchId, y.branchId) || compareText(x.op, y.op),
    );
}

/** A snapshot from a record reply and an ops reply; undefined if the record is absent. */
export function toSnapshot(rec: unknown, ops: unknown): TransactionSnapshot | undefined {
  const hash = toHash(rec);
  if (hash['gid'] === undefined) return undefined;
  return { tx: toRecord(hash), ops: toOps(ops) };
}

/** Reads attempt JSON values of one transaction. */
export function toAttempts(gid: string, values: unknown): AttemptRecord[] {
  if (!Array.isArray(values)) return [];
  return values.map((v) => toAttempt({ ...(JSON.parse(String(v)) as Row), gid }));
}

/**
 * What a transaction's entries in its shard's indexes should be, derived from its record:
 * the input of the `settle` script. Strings, '' meaning "no entry".
 */
export interface IndexState {
  readonly rev: string;
  /**
   * max(nextAttemptAt, leaseUntil) when due work can arise (non-terminal, not parked, not
   * paused).
   */
  readonly due: string;
  /** Parked and not terminal. */
  readonly parked: boolean;
  /** finishedAt of a terminal transaction (retention). */
  readonly done: string;
  readonly created: string;
}

/** The index state of a stored record hash. */
export function indexState(hash: RawHash): IndexState {
  const tx = toRecord(hash);
  const terminal = isTerminal(tx.status);
  const dueAble = !terminal && !tx.parked && !tx.paused && tx.nextAttemptAt !== null;
  return {
    rev: hash['rev'] ?? '0',
    due: dueAble ? String(Math.max(tx.nextAttemptAt ?? 0, tx.leaseUntil)) : '',
    parked: !terminal && tx.parked,
    done: terminal && tx.finishedAt !== null ? String(tx.finishedAt) : '',
    created: createdMember(tx.createdAt, tx.gid),
  };
}

/**
 * The write-ahead due score of a change (step 0): no later than the due score the record
 * will have, so lowering the entry to it keeps work findable if step 2 never runs. For a
 * change that leaves nothing due it is the change's own time: the entry then only makes
 * sure that a visit repairs the other indexes.
 */
export function writeAheadScore(
  fields: {
    readonly status: GlobalStatus;
    readonly parked: boolean;
    readonly paused: boolean;
    readonly nextAttemptAt: number | null;
    readonly updatedAt: number;
  },
  leaseUntil = 0,
): string {
  const dueAble =
    !isTerminal(fields.status) && !fields.parked && !fields.paused && fields.nextAttemptAt !== null;
  return String(dueAble ? Math.max(fields.nextAttemptAt ?? 0, leaseUntil) : fields.updatedAt);
}
