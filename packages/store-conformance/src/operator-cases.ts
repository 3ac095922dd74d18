/**
 * Conformance cases of operator controls: a paused transaction is never claimed by the
 * recovery path, labels and actors are kept, and the listing filters by paused, gid
 * prefix, labels and stuck inside the store (so paging stays exact).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MODES, type ListQuery, type Mode, type Store, type TransactionRecord } from '@accord/core';
import {
  T,
  attempt,
  compareText,
  mustGet,
  sagaSnapshot,
  seed,
  txRecord,
  withStore,
  writeAll,
  writeOf,
  type OpenConformanceStore,
} from './fixtures.js';

const NOW = T + 60_000;

async function allGids(store: Store, query: Omit<ListQuery, 'limit'>): Promise<string[]> {
  const gids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages += 1) {
    const page = await store.list({ ...query, limit: 3, cursor });
    gids.push(...page.items.map((tx) => tx.gid));
    if (page.nextCursor === null) return gids;
    cursor = page.nextCursor;
  }
  throw new Error('paging does not terminate');
}

function newestFirst(a: TransactionRecord, b: TransactionRecord): number {
  return b.createdAt - a.createdAt || compareText(b.gid, a.gid);
}

/** Registers the operator cases. */
export function operatorCases(open: OpenConformanceStore): void {
  it('claimDue never claims a paused transaction, and hasten leaves it alone', () =>
    withStore(open, async (store) => {
      // Stored paused while due: the flag alone must keep the recovery path away.
      const snap = sagaSnapshot('pz-stored');
      await seed(store, { ...snap.tx, paused: true, nextAttemptAt: T }, snap.ops);
      assert.deepEqual(await store.claimDue('w', NOW, 5000, 10), []);
      assert.equal(await store.hasten({ now: NOW, laterThan: 0, limit: 10 }), 0);

      // Paused by a write of the lease holder that keeps a due time.
      const other = sagaSnapshot('pz-written');
      await seed(store, { ...other.tx, nextAttemptAt: T }, other.ops);
      const claimed = await store.claim('pz-written', 'op', NOW, 5000);
      assert.ok(claimed);
      const pause = writeOf(claimed.tx, claimed.tx.fence, { paused: true }, { release: true });
      assert.deepEqual(await writeAll(store, [pause]), [true]);
      assert.equal((await mustGet(store, 'pz-written')).tx.paused, true);
      assert.deepEqual(await store.claimDue('w', NOW + 10_000, 5000, 10), []);
    }));

  it('claim still takes a paused transaction (for the operator), and resume makes it due', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('pz-resume');
      await seed(store, { ...snap.tx, paused: true, nextAttemptAt: null }, snap.ops);
      const claimed = await store.claim('pz-resume', 'op', NOW, 5000);
      assert.ok(claimed, 'an operator can take the lease of a paused transaction');
      assert.equal(claimed.tx.paused, true);
      const resume = writeOf(
        claimed.tx,
        claimed.tx.fence,
        { paused: false, nextAttemptAt: NOW },
        { release: true },
      );
      assert.deepEqual(await writeAll(store, [resume]), [true]);
      const due = await store.claimDue('w', NOW, 5000, 10);
      assert.deepEqual(
        due.map((s) => [s.tx.gid, s.tx.paused]),
        [['pz-resume', false]],
      );
    }));

  it('labels, the paused flag and the actor of an operator action are stored', () =>
    withStore(open, async (store) => {
      const labels = { team: 'payments', 'order.id': 'A=42 b', 'x-1_y': 'é €' };
      const snap = sagaSnapshot('lb-1');
      await seed(store, { ...snap.tx, labels }, snap.ops);
      const plain = sagaSnapshot('lb-none');
      await seed(store, plain.tx, plain.ops);
      const got = await mustGet(store, 'lb-1');
      assert.deepEqual(got.tx.labels, labels);
      assert.equal(got.tx.paused, false);
      assert.deepEqual((await mustGet(store, 'lb-none')).tx.labels, {});

      const claimed = await store.claim('lb-1', 'op', NOW, 5000);
      assert.ok(claimed);
      const audit = { ...attempt('lb-1', '-', 0, NOW), op: 'pause' as const, actor: 'alice' };
      const plainAttempt = attempt('lb-1', 'a', 1, NOW + 1);
      const write = writeOf(
        claimed.tx,
        claimed.tx.fence,
        { paused: true, nextAttemptAt: null },
        { attempts: [audit, plainAttempt] },
      );
      assert.deepEqual(await writeAll(store, [write]), [true]);
      const history = await store.history('lb-1');
      assert.deepEqual(
        history.map((a) => [a.op, a.actor]),
        [
          ['pause', 'alice'],
          ['action', null],
        ],
      );
      const after = await mustGet(store, 'lb-1');
      assert.equal(after.tx.paused, true);
      assert.deepEqual(after.tx.labels, labels, 'a write leaves labels as they were');
    }));

  it('list filters by paused, gid prefix, labels and stuck, with exact paging', () =>
    withStore(open, async (store) => {
      const modes: Mode[] = ['saga', 'tcc', 'msg'];
      const statuses = ['prepared', 'submitted', 'aborting', 'succeeded', 'failed'] as const;
      const records = Array.from({ length: 30 }, (_, i) =>
        txRecord(`${['o_', 'oA', 'o-'][i % 3]}${String(i).padStart(2, '0')}`, {
          mode: modes[i % 3],
          status: statuses[i % 5],
          paused: i % 4 === 1,
          createdAt: T + (i % 10) * 100,
          labels: {
            ...(i % 2 === 0 && { team: 'pay' }),
            ...(i % 3 === 0 && { team: 'ship' }),
            ...(i % 5 < 2 && { 'region.eu': i % 5 === 0 ? 'west=1' : 'east' }),
          },
        }),
      );
      for (const tx of records) await seed(store, tx);
      const createdBefore = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
      Object.assign(createdBefore, { saga: T + 500, tcc: T + 200, msg: T + 800 });
      const stuck = (tx: TransactionRecord) =>
        tx.status !== 'succeeded' &&
        tx.status !== 'failed' &&
        tx.createdAt < createdBefore[tx.mode];
      const cases: [Omit<ListQuery, 'limit'>, (tx: TransactionRecord) => boolean][] = [
        [{ paused: true }, (tx) => tx.paused],
        [{ paused: false }, (tx) => !tx.paused],
        [{ gidPrefix: 'o_' }, (tx) => tx.gid.startsWith('o_')],
        [{ gidPrefix: 'o_1' }, (tx) => tx.gid.startsWith('o_1')],
        [{ gidPrefix: 'oA' }, (tx) => tx.gid.startsWith('oA')],
        [{ labels: { team: 'pay' } }, (tx) => tx.labels['team'] === 'pay'],
        [{ labels: { 'region.eu': 'west=1' } }, (tx) => tx.labels['region.eu'] === 'west=1'],
        [
          { labels: { team: 'ship', 'region.eu': 'east' } },
          (tx) => tx.labels['team'] === 'ship' && tx.labels['region.eu'] === 'east',
        ],
        [{ stuck: { is: true, createdBefore } }, stuck],
        [{ stuck: { is: false, createdBefore } }, (tx) => !stuck(tx)],
        [
          { stuck: { is: true, createdBefore }, paused: false, mode: 'saga' },
          (tx) => stuck(tx) && !tx.paused && tx.mode === 'saga',
        ],
      ];
      for (const [filter, keep] of cases) {
        const expected = records.filter(keep).sort(newestFirst);
        assert.ok(expected.length > 0, `fixture covers ${JSON.stringify(filter)}`);
        assert.deepEqual(
          await allGids(store, filter),
          expected.map((tx) => tx.gid),
          JSON.stringify(filter),
        );
      }
      assert.deepEqual(await allGids(store, { labels: { team: 'nobody' } }), []);
      assert.deepEqual(await allGids(store, { gidPrefix: 'o%' }), []);
    }));
}
