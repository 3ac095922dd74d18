/** Conformance cases: insert, get, fenced writes and attempt history. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { BranchOp, TransactionRecord } from '@accord/core';
import {
  OPTIONS,
  T,
  attempt,
  insertOne,
  mustGet,
  op,
  opOrder,
  sagaSnapshot,
  seed,
  txRecord,
  withStore,
  writeAll,
  writeOf,
  type OpenConformanceStore,
} from './fixtures.js';

/** Registers the record cases. */
export function recordCases(open: OpenConformanceStore): void {
  it('insert then get round-trips every field, values and nulls alike', () =>
    withStore(open, async (store) => {
      const full: TransactionRecord = {
        gid: 'full-1',
        mode: 'msg',
        status: 'prepared',
        options: {
          ...OPTIONS,
          timeoutMs: 35_000,
          concurrent: true,
          headers: { 'x-tenant': 'acme', 'accept-language': 'fr-CH' },
        },
        checkUrl: 'http://producer.test/check?x=1',
        fingerprint: 'sha256:abc',
        reason: 'because "quoted" ✓ 日本',
        createdAt: T,
        updatedAt: T + 5,
        finishedAt: T + 9,
        deadlineAt: T + 35_000,
        nextAttemptAt: T + 100,
        parked: true,
        paused: true,
        labels: { team: 'payments', 'order.id': '42' },
        leaseOwner: 'node-a',
        leaseUntil: T + 30_000,
        fence: 7,
      };
      const ops: BranchOp[] = [
        op('s1', 'action', 0, {
          payload: '{"amount":30,"note":"naïve ✓"}',
          dependsOn: ['s0', 'x-y'],
          maxAttempts: 5,
          status: 'failed',
          attempts: 3,
          failures: 2,
          nextAttemptAt: T + 50,
          lastError: { httpStatus: 503, message: 'unavailable', at: T + 3 },
          updatedAt: T + 4,
        }),
        op('s0', 'action', 0, {
          status: 'succeeded',
          attempts: 1,
          lastError: { httpStatus: null, message: 'socket hang up', at: T + 1 },
        }),
        op('_check', 'check', 9),
      ];
      await seed(store, full, ops);
      assert.deepEqual(await store.get('full-1'), { tx: full, ops: opOrder(ops) });

      const sparse = txRecord('sparse-1', { status: 'submitted', nextAttemptAt: null });
      assert.equal(sparse.checkUrl, null);
      assert.equal(sparse.options.timeoutMs, null);
      await seed(store, sparse, []);
      assert.deepEqual(await store.get('sparse-1'), { tx: sparse, ops: [] });
      assert.equal(await store.get('nobody'), undefined);
    }));

  it('insert of an existing gid writes nothing and returns the stored snapshot', () =>
    withStore(open, async (store) => {
      const first = sagaSnapshot('dup-1');
      await seed(store, first.tx, first.ops);
      const other = sagaSnapshot('dup-1', T + 1000, { owner: 'x', until: T + 9000 });
      const extra = [...other.ops, op('c', 'action', 2)];
      const result = await insertOne(store, { ...other.tx, fingerprint: 'other' }, extra);
      assert.deepEqual(result, { inserted: false, existing: first });
      assert.deepEqual(await store.get('dup-1'), first);
    }));

  it('concurrent inserts of one gid: exactly one wins', () =>
    withStore(open, async (store) => {
      const tries = Array.from({ length: 6 }, (_, i) =>
        insertOne(store, txRecord('race-1', { fingerprint: `fp-${i}` }), [
          op(`b${i}`, 'action', 0),
        ]),
      );
      const results = await Promise.all(tries);
      const winners = results.flatMap((r, i) => (r.inserted ? [i] : []));
      assert.equal(winners.length, 1);
      const stored = await mustGet(store, 'race-1');
      assert.equal(stored.tx.fingerprint, `fp-${winners[0]}`);
      assert.deepEqual(
        stored.ops.map((o) => o.branchId),
        [`b${winners[0]}`],
      );
      for (const r of results) if (!r.inserted) assert.deepEqual(r.existing, stored);
    }));

  it('get orders ops by seq, then branchId, then op (byte order)', () =>
    withStore(open, async (store) => {
      const keys: [string, BranchOp['op'], number][] = [
        ['a', 'action', 2],
        ['b', 'compensate', 0],
        ['z', 'action', 10],
        ['b', 'action', 0],
        ['a', 'compensate', 1],
        ['B', 'action', 0],
        ['_check', 'check', 0],
      ];
      await seed(
        store,
        txRecord('order-1'),
        keys.map(([b, o, s]) => op(b, o, s)),
      );
      const got = (await mustGet(store, 'order-1')).ops.map(
        (o) => `${o.seq}/${o.branchId}/${o.op}`,
      );
      assert.deepEqual(got, [
        '0/B/action',
        '0/_check/check',
        '0/b/action',
        '0/b/compensate',
        '1/a/compensate',
        '2/a/action',
        '10/z/action',
      ]);
    }));

  it('write applies the fields, upserts ops, appends attempts and keeps the lease', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('w-1', T, { owner: 'o1', until: T + 10_000 });
      await seed(store, snap.tx, snap.ops);
      const [a0, ...rest] = snap.ops;
      assert.ok(a0);
      const changed = { ...a0, status: 'failed' as const, attempts: 1, failures: 1 };
      const withError = { ...changed, lastError: { httpStatus: 409, message: 'no', at: T + 9 } };
      const added = op('c', 'action', 5, { dependsOn: ['a'] });
      const tries = [attempt('w-1', 'a', 1, T + 8, 'failure'), attempt('w-1', 'a', 2, T + 9)];
      const fields = {
        status: 'aborting' as const,
        reason: 'step a refused',
        updatedAt: T + 10,
        deadlineAt: T + 500,
        nextAttemptAt: T + 20,
        parked: true,
      };
      const write = writeOf(snap.tx, 1, fields, { ops: [withError, added], attempts: tries });
      assert.deepEqual(await writeAll(store, [write]), [true]);
      const after = await mustGet(store, 'w-1');
      assert.deepEqual(after.tx, { ...snap.tx, ...fields });
      assert.deepEqual(after.ops, opOrder([withError, ...rest, added]));
      assert.deepEqual(await store.history('w-1'), tries);

      // Values back to null, and an op's lastError cleared, are stored too.
      const done = { status: 'failed' as const, finishedAt: T + 30, nextAttemptAt: null };
      const cleared = { ...withError, lastError: null, status: 'succeeded' as const };
      const last = writeOf(after.tx, 1, { ...done, deadlineAt: null, parked: false, reason: null });
      assert.deepEqual(await writeAll(store, [{ ...last, ops: [cleared] }]), [true]);
      const final = await mustGet(store, 'w-1');
      assert.deepEqual(final.tx, { ...after.tx, ...last.tx });
      assert.deepEqual(final.ops, opOrder([cleared, ...rest, added]));
      assert.deepEqual(await store.history('w-1'), tries);
    }));

  it('write with a stale, future or unknown fence changes nothing and yields false', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('stale-1', T, { owner: 'o1', until: T + 10_000 });
      await seed(store, snap.tx, snap.ops);
      const first = writeOf(snap.tx, 1, {}, { attempts: [attempt('stale-1', 'a', 1, T + 1)] });
      assert.deepEqual(await writeAll(store, [first]), [true]);
      const before = await mustGet(store, 'stale-1');
      const historyBefore = await store.history('stale-1');
      const [a0] = snap.ops;
      assert.ok(a0);
      for (const fence of [0, 2]) {
        const bad = writeOf(
          snap.tx,
          fence,
          { status: 'succeeded', finishedAt: T + 5, reason: 'stale' },
          {
            ops: [{ ...a0, status: 'succeeded' }, op('new', 'action', 4)],
            attempts: [attempt('stale-1', 'a', 2, T + 2)],
            release: true,
          },
        );
        assert.deepEqual(await writeAll(store, [bad]), [false], `fence ${fence}`);
        assert.deepEqual(await store.get('stale-1'), before);
        assert.deepEqual(await store.history('stale-1'), historyBefore);
      }
      const ghost = writeOf(txRecord('ghost'), 0, {}, { attempts: [attempt('ghost', 'a', 1, T)] });
      assert.deepEqual(await writeAll(store, [ghost]), [false]);
      assert.equal(await store.get('ghost'), undefined);
      assert.deepEqual(await store.history('ghost'), []);
    }));

  it('a batch applies its good writes only, answering in order', () =>
    withStore(open, async (store) => {
      const a = sagaSnapshot('batch-a', T, { owner: 'o', until: T + 10_000 });
      const b = sagaSnapshot('batch-b', T, { owner: 'o', until: T + 10_000 });
      await seed(store, a.tx, a.ops);
      await seed(store, b.tx, b.ops);
      const aBefore = await mustGet(store, 'batch-a');
      const staleA = writeOf(
        a.tx,
        0,
        { status: 'failed' },
        {
          ops: [op('x', 'action', 3)],
          attempts: [attempt('batch-a', 'a', 1, T)],
        },
      );
      const goodB = writeOf(
        b.tx,
        1,
        { status: 'aborting', updatedAt: T + 3 },
        {
          ops: [op('x', 'action', 3)],
          attempts: [attempt('batch-b', 'a', 1, T)],
        },
      );
      assert.deepEqual(await writeAll(store, [staleA, goodB]), [false, true]);
      assert.deepEqual(await store.get('batch-a'), aBefore);
      assert.deepEqual(await store.history('batch-a'), []);
      const bAfter = await mustGet(store, 'batch-b');
      assert.equal(bAfter.tx.status, 'aborting');
      assert.equal(bAfter.ops.length, b.ops.length + 1);
      assert.equal((await store.history('batch-b')).length, 1);

      // Several writes to one gid in one batch apply in order.
      const w1 = writeOf(
        a.tx,
        1,
        { status: 'aborting' },
        { attempts: [attempt('batch-a', 'a', 1, T + 1)] },
      );
      const w2 = writeOf(
        a.tx,
        1,
        { status: 'failed' },
        { attempts: [attempt('batch-a', 'a', 2, T + 2)] },
      );
      const missing = writeOf(txRecord('batch-none'), 1);
      assert.deepEqual(await writeAll(store, [w1, missing, w2]), [true, false, true]);
      assert.equal((await mustGet(store, 'batch-a')).tx.status, 'failed');
      assert.deepEqual(
        (await store.history('batch-a')).map((h) => h.attempt),
        [1, 2],
      );
      assert.deepEqual(await writeAll(store, []), []);
    }));

  it('history is oldest first, append order within an instant, own gid only', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('h-1', T, { owner: 'o', until: T + 10_000 });
      const other = sagaSnapshot('h-2', T, { owner: 'o', until: T + 10_000 });
      await seed(store, snap.tx, snap.ops);
      await seed(store, other.tx, other.ops);
      const first = [attempt('h-1', 'a', 1, T + 1, 'error'), attempt('h-1', 'a', 2, T + 2)];
      const resolve = {
        gid: 'h-1',
        branchId: '',
        op: 'resolve' as const,
        attempt: 0,
        startedAt: T + 4,
        finishedAt: T + 4,
        outcome: 'success' as const,
        httpStatus: null,
        message: 'resolved by ops: refunded by hand',
        actor: 'ops.alice',
      };
      const second = [
        attempt('h-1', 'b', 1, T + 3, 'ongoing'),
        resolve,
        attempt('h-1', 'b', 2, T + 4),
      ];
      await writeAll(store, [writeOf(snap.tx, 1, {}, { attempts: first })]);
      await writeAll(store, [writeOf(other.tx, 1, {}, { attempts: [attempt('h-2', 'a', 1, T)] })]);
      await writeAll(store, [writeOf(snap.tx, 1, {}, { attempts: second })]);
      assert.deepEqual(await store.history('h-1'), [...first, ...second]);
      assert.deepEqual(await store.history('h-2'), [attempt('h-2', 'a', 1, T)]);
      assert.deepEqual(await store.history('unknown'), []);
    }));
}
