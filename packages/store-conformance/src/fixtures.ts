/**
 * Records and helpers shared by the conformance cases. Times are fixed instants, never
 * the wall clock: the store takes `now` as an argument.
 */
import assert from 'node:assert/strict';
import {
  createSnapshot,
  newOp,
  type AttemptRecord,
  type BranchOp,
  type InsertResult,
  type OpName,
  type OutcomeKind,
  type Store,
  type TransactionOptions,
  type TransactionRecord,
  type TransactionSnapshot,
  type TransactionWrite,
} from '@accord/core';

/** A store on fresh, isolated, empty storage, and how to dispose of it. */
export interface ConformanceHandle {
  readonly store: Store;
  /** Closes the store (and any opened by `openAnother`) and removes its storage. */
  cleanup(): Promise<void>;
  /**
   * Another store instance on the same storage (a second process, as far as the backend
   * can tell). Omitted where the backend cannot share storage (an in-memory database);
   * the cases that need it then skip with a reason.
   */
  openAnother?(): Promise<Store>;
}

/** Opens a fresh handle; the suite calls it once per case. */
export type OpenConformanceStore = () => Promise<ConformanceHandle>;

/** The base instant of every case. */
export const T = 1_700_000_000_000;

/** Resolved options with every field away from its default, to catch lost fields. */
export const OPTIONS: TransactionOptions = {
  requestTimeoutMs: 2500,
  retry: {
    firstDelayMs: 700,
    factor: 1.5,
    maxDelayMs: 90_000,
    jitter: 0.1,
    ongoingDelayMs: 1200,
    maxAttempts: 12,
  },
  timeoutMs: null,
  concurrent: false,
  headers: {},
};

/** A two-step saga (a, b; each with action and compensate), free or already leased. */
export function sagaSnapshot(
  gid: string,
  now = T,
  lease?: { owner: string; until: number },
): TransactionSnapshot {
  const target = (path: string) => ({ url: `http://svc.test/${path}`, payload: '{"n":1}' });
  return createSnapshot(
    {
      gid,
      mode: 'saga',
      options: OPTIONS,
      checkUrl: null,
      fingerprint: `fp-${gid}`,
      steps: [
        { id: 'a', action: target('a'), compensate: target('a/undo') },
        { id: 'b', action: target('b'), compensate: target('b/undo') },
      ],
    },
    now,
    lease,
  );
}

/** A saga record with fields overridden. */
export function txRecord(gid: string, fields: Partial<TransactionRecord> = {}): TransactionRecord {
  return { ...sagaSnapshot(gid).tx, ...fields };
}

/** A pending op. */
export function op(
  branchId: string,
  name: OpName,
  seq: number,
  fields: Partial<BranchOp> = {},
): BranchOp {
  const base = newOp(branchId, name, { url: `http://svc.test/${branchId}`, payload: '' }, seq, T);
  return { ...base, ...fields };
}

/** An attempt record. */
export function attempt(
  gid: string,
  branchId: string,
  n: number,
  startedAt: number,
  outcome: OutcomeKind = 'success',
): AttemptRecord {
  return {
    gid,
    branchId,
    op: 'action',
    attempt: n,
    startedAt,
    finishedAt: startedAt + 7,
    outcome,
    httpStatus: outcome === 'success' ? 200 : outcome === 'failure' ? 409 : null,
    message: outcome === 'success' ? null : `outcome ${outcome}`,
    actor: null,
  };
}

/** A write holding `fence` that moves the transaction on. */
export function writeOf(
  tx: TransactionRecord,
  fence: number,
  fields: Partial<TransactionWrite['tx']> = {},
  extra: Partial<Pick<TransactionWrite, 'ops' | 'attempts' | 'release'>> = {},
): TransactionWrite {
  return {
    gid: tx.gid,
    fence,
    tx: {
      status: tx.status,
      reason: tx.reason,
      updatedAt: tx.updatedAt,
      finishedAt: tx.finishedAt,
      deadlineAt: tx.deadlineAt,
      nextAttemptAt: tx.nextAttemptAt,
      parked: tx.parked,
      paused: tx.paused,
      ...fields,
    },
    ops: extra.ops ?? [],
    attempts: extra.attempts ?? [],
    release: extra.release ?? false,
  };
}

/** Inserts one transaction with a commit of its own; returns the insert's result. */
export async function insertOne(
  store: Store,
  tx: TransactionRecord,
  ops: readonly BranchOp[] = [],
): Promise<InsertResult> {
  const [result] = (await store.commit({ inserts: [{ tx, ops }], writes: [] })).inserted;
  assert.ok(result, `no result for the insert of ${tx.gid}`);
  return result;
}

/** Applies writes with one commit of their own; returns which were applied, in order. */
export async function writeAll(
  store: Store,
  writes: readonly TransactionWrite[],
): Promise<boolean[]> {
  return (await store.commit({ inserts: [], writes })).written;
}

/** Inserts and insists it was new. */
export async function seed(
  store: Store,
  tx: TransactionRecord,
  ops: readonly BranchOp[] = [],
): Promise<void> {
  const result = await insertOne(store, tx, ops);
  assert.equal(result.inserted, true, `seed ${tx.gid} should be new`);
}

/** Code-unit (byte order for ASCII) comparison, the order stores sort keys in. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ops in the order `get` returns them: seq, then branchId, then op. */
export function opOrder(ops: readonly BranchOp[]): BranchOp[] {
  return [...ops].sort(
    (x, y) => x.seq - y.seq || compareText(x.branchId, y.branchId) || compareText(x.op, y.op),
  );
}

/** Reads a transaction that must exist. */
export async function mustGet(store: Store, gid: string): Promise<TransactionSnapshot> {
  const snapshot = await store.get(gid);
  assert.ok(snapshot, `${gid} should exist`);
  return snapshot;
}

/** Runs a case on a fresh, migrated store and disposes of it afterwards. */
export async function withStore(
  open: OpenConformanceStore,
  run: (store: Store, handle: ConformanceHandle) => Promise<void>,
): Promise<void> {
  const handle = await open();
  try {
    await handle.store.migrate();
    await run(handle.store, handle);
  } finally {
    await handle.cleanup();
  }
}
