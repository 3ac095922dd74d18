/** Conformance cases: the dashboard's summary of live transactions. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LiveCount } from '@accord/core';
import {
  T,
  compareText,
  seed,
  txRecord,
  withStore,
  writeAll,
  writeOf,
  type OpenConformanceStore,
} from './fixtures.js';

function sorted(live: readonly LiveCount[]): LiveCount[] {
  const key = (c: LiveCount) => `${c.mode}/${c.status}/${c.parked}`;
  return [...live].sort((a, b) => compareText(key(a), key(b)));
}

/** Registers the summary cases. */
export function summaryCases(open: OpenConformanceStore): void {
  it('summarize on an empty store counts nothing and finds nothing due', () =>
    withStore(open, async (store) => {
      assert.deepEqual(await store.summarize(T), { live: [], oldestDueAt: null });
    }));

  it('summarize counts live transactions by mode, status and parked, never terminal ones', () =>
    withStore(open, async (store) => {
      await seed(store, txRecord('s-1', { status: 'submitted', nextAttemptAt: T + 10 }));
      await seed(store, txRecord('s-2', { status: 'submitted', nextAttemptAt: T + 20 }));
      await seed(store, txRecord('s-3', { status: 'aborting', parked: true }));
      await seed(store, txRecord('s-4', { mode: 'tcc', status: 'prepared', nextAttemptAt: T }));
      await seed(
        store,
        txRecord('s-5', { status: 'succeeded', finishedAt: T, nextAttemptAt: null }),
      );
      await seed(store, txRecord('s-6', { status: 'failed', finishedAt: T, nextAttemptAt: null }));
      const { live } = await store.summarize(T + 100);
      assert.deepEqual(sorted(live), [
        { mode: 'saga', status: 'aborting', parked: true, count: 1 },
        { mode: 'saga', status: 'submitted', parked: false, count: 2 },
        { mode: 'tcc', status: 'prepared', parked: false, count: 1 },
      ]);
      const s3 = txRecord('s-3', { status: 'aborting', parked: true });
      const done = { status: 'failed' as const, parked: false, finishedAt: T, nextAttemptAt: null };
      assert.deepEqual(await writeAll(store, [writeOf(s3, 0, done)]), [true]);
      const after = await store.summarize(T + 100);
      assert.equal(
        after.live.some((c) => c.status === 'aborting'),
        false,
        'a transaction that ended is no longer counted',
      );
    }));

  it('summarize names the most overdue unclaimed transaction, skipping parked and leased ones', () =>
    withStore(open, async (store) => {
      await seed(store, txRecord('d-1', { status: 'submitted', nextAttemptAt: T + 50 }));
      await seed(store, txRecord('d-2', { status: 'submitted', nextAttemptAt: T + 30 }));
      await seed(store, txRecord('d-3', { status: 'aborting', parked: true, nextAttemptAt: T }));
      const leased = { leaseOwner: 'o', leaseUntil: T + 1000, fence: 1 };
      await seed(store, txRecord('d-4', { status: 'submitted', nextAttemptAt: T + 5, ...leased }));
      await seed(store, txRecord('d-5', { status: 'submitted', nextAttemptAt: T + 500 }));
      assert.equal((await store.summarize(T + 100)).oldestDueAt, T + 30);
      assert.equal((await store.summarize(T + 20)).oldestDueAt, null, 'nothing due yet');
      assert.equal((await store.summarize(T + 2000)).oldestDueAt, T + 5, 'the lease ran out');
    }));
}
