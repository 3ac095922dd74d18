/** Conformance cases: purging old terminal transactions (retention). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  T,
  attempt,
  sagaSnapshot,
  seed,
  withStore,
  writeAll,
  type OpenConformanceStore,
} from './fixtures.js';

/** Registers the retention cases. */
export function retentionCases(open: OpenConformanceStore): void {
  it('purges terminal transactions that finished before the cut-off, oldest first, with their ops and history', () =>
    withStore(open, async (store) => {
      for (let i = 1; i <= 5; i++) {
        const { tx, ops } = sagaSnapshot(`done-${i}`);
        await seed(
          store,
          { ...tx, status: i % 2 ? 'succeeded' : 'failed', finishedAt: T + i, nextAttemptAt: null },
          ops,
        );
      }
      const open1 = sagaSnapshot('still-running');
      await seed(store, { ...open1.tx, finishedAt: null }, open1.ops);
      const parked = sagaSnapshot('parked-old');
      await seed(
        store,
        { ...parked.tx, status: 'aborting', parked: true, nextAttemptAt: null },
        parked.ops,
      );
      const withHistory = sagaSnapshot('done-history');
      await seed(
        store,
        { ...withHistory.tx, status: 'succeeded', finishedAt: T, nextAttemptAt: null },
        withHistory.ops,
      );
      await writeAll(store, [
        {
          gid: 'done-history',
          fence: withHistory.tx.fence,
          tx: { ...withHistory.tx, status: 'succeeded', finishedAt: T, nextAttemptAt: null },
          ops: [],
          attempts: [attempt('done-history', 'a', 1, T - 10)],
          release: false,
        },
      ]);

      assert.equal(await store.purgeTerminal(T + 4, 2), 2, 'limited to 2');
      assert.equal(await store.get('done-history'), undefined, 'oldest went first');
      assert.deepEqual(await store.history('done-history'), []);
      assert.equal(await store.purgeTerminal(T + 4, 100), 2);
      assert.equal(await store.purgeTerminal(T + 4, 100), 0);
      const left = (await store.list({ limit: 100 })).items.map((t) => t.gid).sort();
      assert.deepEqual(left, ['done-4', 'done-5', 'parked-old', 'still-running']);
      assert.ok((await store.get('done-4'))?.ops.length, 'ops of kept transactions stay');
    }));
}
