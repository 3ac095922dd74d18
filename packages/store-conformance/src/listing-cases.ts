/** Conformance cases: listing with filters and cursors, and the parked count. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AccordError, type ListQuery, type Store, type TransactionRecord } from '@accord/core';
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

/** Newest first; ties on createdAt by gid, descending. */
function newestFirst(a: TransactionRecord, b: TransactionRecord): number {
  return b.createdAt - a.createdAt || compareText(b.gid, a.gid);
}

/** Every page of a listing, following cursors. */
async function allPages(store: Store, query: ListQuery) {
  const pages: TransactionRecord[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.list({ ...query, cursor });
    pages.push([...page.items]);
    if (page.nextCursor === null) return pages;
    assert.ok(pages.length < 100, 'paging does not terminate');
    cursor = page.nextCursor;
  }
}

/** A deterministic shuffle, so insertion order says nothing about listing order. */
function shuffled<V>(values: readonly V[]): V[] {
  const out = [...values];
  let seed = 7;
  for (let i = out.length - 1; i > 0; i -= 1) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as V, out[i] as V];
  }
  return out;
}

/** Registers the listing cases. */
export function listingCases(open: OpenConformanceStore): void {
  it('list pages through 120 records by cursor, newest first, each exactly once', () =>
    withStore(open, async (store) => {
      // Four records per instant, so ties on createdAt are broken by gid.
      const records = Array.from({ length: 120 }, (_, i) =>
        txRecord(`p-${String((i * 37) % 120).padStart(3, '0')}`, {
          createdAt: T + Math.floor(i / 4) * 1000,
        }),
      );
      for (const tx of shuffled(records)) await seed(store, tx);
      const pages = await allPages(store, { limit: 50 });
      assert.deepEqual(
        pages.map((p) => p.length),
        [50, 50, 20],
      );
      assert.deepEqual(pages.flat(), [...records].sort(newestFirst));
      // A last page that is exactly full carries no cursor.
      assert.deepEqual(
        (await allPages(store, { limit: 40 })).map((p) => p.length),
        [40, 40, 40],
      );
      assert.equal((await store.list({ limit: 120 })).nextCursor, null);
      assert.equal((await store.list({ limit: 119 })).items.length, 119);
    }));

  it('list filters by status, mode, parked and inclusive time bounds, alone and combined', () =>
    withStore(open, async (store) => {
      const statuses = ['prepared', 'submitted', 'aborting', 'succeeded', 'failed'] as const;
      const modes = ['saga', 'tcc', 'msg'] as const;
      const records = Array.from({ length: 30 }, (_, i) =>
        txRecord(`f-${String(i).padStart(2, '0')}`, {
          status: statuses[i % 5],
          mode: modes[i % 3],
          parked: i % 4 === 0,
          createdAt: T + (i % 10) * 100,
        }),
      );
      for (const tx of records) await seed(store, tx);
      const cases: [Omit<ListQuery, 'limit'>, (tx: TransactionRecord) => boolean][] = [
        [{}, () => true],
        [{ status: 'aborting' }, (tx) => tx.status === 'aborting'],
        [{ mode: 'tcc' }, (tx) => tx.mode === 'tcc'],
        [{ parked: true }, (tx) => tx.parked],
        [{ parked: false }, (tx) => !tx.parked],
        [{ since: T + 300 }, (tx) => tx.createdAt >= T + 300],
        [{ until: T + 300 }, (tx) => tx.createdAt <= T + 300],
        [
          { since: T + 200, until: T + 500 },
          (tx) => tx.createdAt >= T + 200 && tx.createdAt <= T + 500,
        ],
        [
          { status: 'prepared', mode: 'saga', parked: true, since: T },
          (tx) => tx.status === 'prepared' && tx.mode === 'saga' && tx.parked,
        ],
      ];
      for (const [filter, keep] of cases) {
        const expected = records.filter(keep).sort(newestFirst);
        assert.ok(expected.length > 0, `fixture covers ${JSON.stringify(filter)}`);
        const pages = await allPages(store, { ...filter, limit: 4 });
        assert.deepEqual(
          pages.flat().map((tx) => tx.gid),
          expected.map((tx) => tx.gid),
          JSON.stringify(filter),
        );
      }
    }));

  it('list rejects a cursor it did not make with INVALID_REQUEST', () =>
    withStore(open, async (store) => {
      await seed(store, txRecord('cur-1'));
      for (const cursor of ['not-a-cursor', '', Buffer.from('x:y').toString('base64url')]) {
        await assert.rejects(
          store.list({ limit: 10, cursor }),
          (error) => error instanceof AccordError && error.code === 'INVALID_REQUEST',
        );
      }
    }));

  it('countParked counts parked transactions that are not terminal', () =>
    withStore(open, async (store) => {
      assert.equal(await store.countParked(), 0);
      const lease = { leaseOwner: 'o', leaseUntil: T + 1000, fence: 1 };
      await seed(store, txRecord('k-1', { status: 'aborting', parked: true, ...lease }));
      await seed(store, txRecord('k-2', { status: 'submitted', parked: true }));
      await seed(store, txRecord('k-3', { status: 'prepared', parked: true }));
      await seed(store, txRecord('k-4', { status: 'failed', parked: true }));
      await seed(store, txRecord('k-5', { status: 'aborting' }));
      assert.equal(await store.countParked(), 3);
      const k1 = txRecord('k-1', { status: 'aborting', parked: true });
      assert.deepEqual(await writeAll(store, [writeOf(k1, 1, { parked: false })]), [true]);
      assert.equal(await store.countParked(), 2);
    }));
}
