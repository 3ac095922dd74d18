/**
 * One set of barrier cases every dialect must pass, driven through a small harness each
 * dialect's test file implements on a real database. Not part of the public API.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ParticipantOp } from '@accord/core';
import type { BarrierContext, BarrierResult, PreparedStatus } from '../src/barrier/types.js';

/** A dialect under test, wrapped so the cases read the same for sync and async drivers. */
export interface BarrierHarness {
  /**
   * One branch call in its own local transaction: `steps` guarded runs with the same
   * context object, each writing a ledger row (gid, branch, op). `fail` throws after the
   * ledger write of the last step, so the transaction rolls back. (Redis, which cannot roll
   * back, refuses before the write instead: the same outcome.)
   */
  call(
    ctx: BarrierContext,
    options?: { steps?: number; fail?: boolean },
  ): Promise<BarrierResult<unknown>[]>;
  /** Ledger rows written for (gid, op). */
  applied(gid: string, op: ParticipantOp): Promise<number>;
  /** The msg producer's local transaction: a ledger row plus `barrier.msg`. */
  produce(gid: string): Promise<void>;
  checkPrepared(gid: string): Promise<PreparedStatus>;
}

let counter = 0;
/** A gid unique within this process (each suite also has its own schema or file). */
export function freshGid(): string {
  counter += 1;
  return `g-${process.pid}-${counter}`;
}

const ctxOf = (gid: string, op: ParticipantOp, branchId = '01'): BarrierContext => ({
  gid,
  branchId,
  op,
});

/** Registers the shared barrier cases; `harness` is resolved once the database is ready. */
export function barrierConformance(name: string, harness: () => BarrierHarness): void {
  describe(`${name}: barrier conformance`, () => {
    test('a duplicate action is applied once', async () => {
      const h = harness();
      const gid = freshGid();
      assert.deepEqual(await h.call(ctxOf(gid, 'action')), [{ applied: true, value: 1 }]);
      assert.deepEqual(await h.call(ctxOf(gid, 'action')), [
        { applied: false, reason: 'duplicate' },
      ]);
      assert.equal(await h.applied(gid, 'action'), 1);
    });

    test('cancel before any try is an empty compensation, and the late try hangs', async () => {
      const h = harness();
      const gid = freshGid();
      assert.deepEqual(await h.call(ctxOf(gid, 'cancel')), [
        { applied: false, reason: 'empty-compensation' },
      ]);
      assert.deepEqual(await h.call(ctxOf(gid, 'try')), [{ applied: false, reason: 'hanging' }]);
      assert.deepEqual(await h.call(ctxOf(gid, 'cancel')), [
        { applied: false, reason: 'duplicate' },
      ]);
      assert.equal(await h.applied(gid, 'try'), 0);
      assert.equal(await h.applied(gid, 'cancel'), 0);
    });

    test('compensate before its action: empty, then the action hangs', async () => {
      const h = harness();
      const gid = freshGid();
      assert.deepEqual(await h.call(ctxOf(gid, 'compensate')), [
        { applied: false, reason: 'empty-compensation' },
      ]);
      assert.deepEqual(await h.call(ctxOf(gid, 'action')), [{ applied: false, reason: 'hanging' }]);
      assert.equal(await h.applied(gid, 'action'), 0);
      assert.equal(await h.applied(gid, 'compensate'), 0);
    });

    test('try then cancel run once each; redeliveries of both are skipped', async () => {
      const h = harness();
      const gid = freshGid();
      assert.equal((await h.call(ctxOf(gid, 'try')))[0]?.applied, true);
      assert.equal((await h.call(ctxOf(gid, 'cancel')))[0]?.applied, true);
      assert.deepEqual(await h.call(ctxOf(gid, 'cancel')), [
        { applied: false, reason: 'duplicate' },
      ]);
      assert.deepEqual(await h.call(ctxOf(gid, 'try')), [{ applied: false, reason: 'duplicate' }]);
      assert.equal(await h.applied(gid, 'try'), 1);
      assert.equal(await h.applied(gid, 'cancel'), 1);
    });

    test('try then confirm run once each; branches are independent', async () => {
      const h = harness();
      const gid = freshGid();
      await h.call(ctxOf(gid, 'try', '01'));
      await h.call(ctxOf(gid, 'try', '02'));
      await h.call(ctxOf(gid, 'confirm', '01'));
      await h.call(ctxOf(gid, 'confirm', '01'));
      assert.equal(await h.applied(gid, 'try'), 2);
      assert.equal(await h.applied(gid, 'confirm'), 1);
    });

    test('a throwing business rolls the barrier rows back, so a retry applies', async () => {
      const h = harness();
      const gid = freshGid();
      await assert.rejects(h.call(ctxOf(gid, 'action'), { fail: true }), /business failed/);
      assert.equal(await h.applied(gid, 'action'), 0);
      assert.deepEqual(await h.call(ctxOf(gid, 'action')), [{ applied: true, value: 1 }]);
      assert.equal(await h.applied(gid, 'action'), 1);
    });

    test('an action whose business failed is compensated as empty, and its redelivery hangs', async () => {
      const h = harness();
      const gid = freshGid();
      await assert.rejects(h.call(ctxOf(gid, 'action'), { fail: true }), /business failed/);
      assert.deepEqual(await h.call(ctxOf(gid, 'compensate')), [
        { applied: false, reason: 'empty-compensation' },
      ]);
      assert.deepEqual(await h.call(ctxOf(gid, 'action')), [{ applied: false, reason: 'hanging' }]);
      assert.equal(await h.applied(gid, 'action'), 0);
      assert.equal(await h.applied(gid, 'compensate'), 0);
    });

    test('several guarded steps in one call get barrier ids 01, 02, … ', async () => {
      const h = harness();
      const gid = freshGid();
      const first = await h.call(ctxOf(gid, 'action'), { steps: 2 });
      assert.deepEqual(
        first.map((r) => r.applied),
        [true, true],
      );
      const again = await h.call(ctxOf(gid, 'action'), { steps: 2 });
      assert.deepEqual(again, [
        { applied: false, reason: 'duplicate' },
        { applied: false, reason: 'duplicate' },
      ]);
      assert.equal(await h.applied(gid, 'action'), 2);
    });

    test('msg: a committed local transaction checks back as committed', async () => {
      const h = harness();
      const gid = freshGid();
      await h.produce(gid);
      assert.equal(await h.checkPrepared(gid), 'committed');
      assert.equal(await h.checkPrepared(gid), 'committed');
    });

    test('msg: a second local transaction for the same gid fails and changes nothing', async () => {
      const h = harness();
      const gid = freshGid();
      await h.produce(gid);
      await assert.rejects(h.produce(gid));
      assert.equal(await h.applied(gid, 'action'), 1);
      assert.equal(await h.checkPrepared(gid), 'committed');
    });

    test('msg: a check-back before the commit rolls it back for good', async () => {
      const h = harness();
      const gid = freshGid();
      assert.equal(await h.checkPrepared(gid), 'rolledback');
      await assert.rejects(h.produce(gid), 'the late local commit fails on the unique key');
      assert.equal(await h.applied(gid, 'action'), 0, 'its business writes rolled back');
      assert.equal(await h.checkPrepared(gid), 'rolledback');
    });
  });
}
