/** Conformance cases: `hasten`, making waiting transactions due now (DTM's resetCronTime). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { BranchOp, Store, TransactionRecord } from '@accord/core';
import {
  T,
  mustGet,
  sagaSnapshot,
  seed,
  withStore,
  type OpenConformanceStore,
} from './fixtures.js';

const NOW = T + 60_000;
const LATER = NOW + 3_600_000;

/**
 * Seeds a saga whose record has `fields` overridden; its first action is pending with a
 * retry at `opAt`, its second already succeeded (also dated later, to see it kept).
 */
async function seedWaiting(
  store: Store,
  gid: string,
  fields: Partial<TransactionRecord>,
  opAt = LATER,
): Promise<void> {
  const snap = sagaSnapshot(gid);
  const ops: BranchOp[] = snap.ops.map((op) => {
    if (op.branchId === 'a' && op.op === 'action') {
      return { ...op, nextAttemptAt: opAt, failures: 3, attempts: 3 };
    }
    if (op.branchId === 'b' && op.op === 'action') {
      return { ...op, status: 'succeeded', nextAttemptAt: LATER };
    }
    return op;
  });
  await seed(store, { ...snap.tx, nextAttemptAt: LATER, ...fields }, ops);
}

function opOf(ops: readonly BranchOp[], branchId: string, op: string): BranchOp {
  const found = ops.find((o) => o.branchId === branchId && o.op === op);
  assert.ok(found, `${branchId}/${op} should exist`);
  return found;
}

/** Registers the hasten cases. */
export function hastenCases(open: OpenConformanceStore): void {
  it('hasten makes a waiting transaction and its pending ops due now, and claimDue takes it', () =>
    withStore(open, async (store) => {
      await seedWaiting(store, 'h-wait', {});
      const before = await mustGet(store, 'h-wait');
      assert.deepEqual(await store.claimDue('o', NOW, 1000, 10), [], 'not due before');

      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10 }), 1);
      const after = await mustGet(store, 'h-wait');
      assert.equal(after.tx.nextAttemptAt, NOW);
      assert.equal(after.tx.fence, before.tx.fence, 'fence unchanged');
      assert.equal(after.tx.leaseOwner, null);
      const action = opOf(after.ops, 'a', 'action');
      assert.equal(action.nextAttemptAt, NOW);
      assert.equal(action.failures, 3, 'failure count kept');
      assert.equal(opOf(after.ops, 'b', 'action').nextAttemptAt, LATER, 'done ops untouched');
      assert.equal(opOf(after.ops, 'a', 'compensate').nextAttemptAt, T, 'earlier ops untouched');

      const claimed = await store.claimDue('o', NOW, 1000, 10);
      assert.deepEqual(
        claimed.map((s) => s.tx.gid),
        ['h-wait'],
      );
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10 }), 0, 'leased now');
    }));

  it('hasten leaves terminal, parked, leased, unscheduled and soon-due transactions alone', () =>
    withStore(open, async (store) => {
      await seedWaiting(store, 'h-done', { status: 'succeeded', finishedAt: T });
      await seedWaiting(store, 'h-parked', { status: 'aborting', parked: true });
      await seedWaiting(store, 'h-leased', { leaseOwner: 'x', leaseUntil: NOW + 1, fence: 2 });
      await seedWaiting(store, 'h-none', { status: 'prepared', nextAttemptAt: null });
      await seedWaiting(store, 'h-soon', { nextAttemptAt: NOW + 500 }, NOW + 500);
      const before = await Promise.all(
        ['h-done', 'h-parked', 'h-leased', 'h-none', 'h-soon'].map((g) => mustGet(store, g)),
      );
      // Only transactions due more than a second from now qualify.
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW + 1000, limit: 10 }), 0);
      const after = await Promise.all(before.map((s) => mustGet(store, s.tx.gid)));
      assert.deepEqual(after, before);
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10 }), 1, 'h-soon');
      assert.equal((await mustGet(store, 'h-soon')).tx.nextAttemptAt, NOW);
    }));

  it('hasten honours the limit (earliest first) and a single gid', () =>
    withStore(open, async (store) => {
      for (let i = 1; i <= 5; i++) {
        await seedWaiting(store, `h-${i}`, { nextAttemptAt: LATER + i });
      }
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 2 }), 2);
      const due = async () => {
        const all = await Promise.all([1, 2, 3, 4, 5].map((i) => mustGet(store, `h-${i}`)));
        return all.filter((s) => s.tx.nextAttemptAt === NOW).map((s) => s.tx.gid);
      };
      assert.deepEqual(await due(), ['h-1', 'h-2']);
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10, gid: 'h-4' }), 1);
      assert.deepEqual(await due(), ['h-1', 'h-2', 'h-4']);
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10, gid: 'h-4' }), 0);
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10, gid: 'nope' }), 0);
      assert.equal(await store.hasten({ now: NOW, laterThan: NOW, limit: 10 }), 2);
      assert.deepEqual(await due(), ['h-1', 'h-2', 'h-3', 'h-4', 'h-5']);
    }));
}
