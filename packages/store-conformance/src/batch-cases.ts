/** Conformance cases: group commit of inserts and writes in one batch. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  T,
  attempt,
  mustGet,
  sagaSnapshot,
  seed,
  withStore,
  writeOf,
  type OpenConformanceStore,
} from './fixtures.js';

/** Registers the batch cases. */
export function batchCases(open: OpenConformanceStore): void {
  it('commit applies inserts then writes, each with its own result', () =>
    withStore(open, async (store) => {
      const existing = sagaSnapshot('batch-existing', T, { owner: 'me', until: T + 10_000 });
      await seed(store, existing.tx, existing.ops);
      const fresh = sagaSnapshot('batch-new', T);
      const also = sagaSnapshot('batch-new-2', T);
      const duplicate = sagaSnapshot('batch-existing', T + 1);
      const result = await store.commit({
        inserts: [fresh, duplicate, also],
        writes: [
          writeOf(
            existing.tx,
            existing.tx.fence,
            { status: 'succeeded', finishedAt: T + 5, nextAttemptAt: null },
            {
              attempts: [attempt('batch-existing', 'a', 1, T + 1)],
              release: true,
            },
          ),
          writeOf(existing.tx, existing.tx.fence + 1, { status: 'failed' }),
          // A write to a transaction inserted earlier in the same batch sees it.
          writeOf(fresh.tx, fresh.tx.fence, { reason: 'written in the same batch' }),
        ],
      });
      assert.deepEqual(
        result.inserted.map((r) => r.inserted),
        [true, false, true],
      );
      const conflict = result.inserted[1];
      assert.ok(conflict && !conflict.inserted);
      assert.equal(conflict.existing.tx.gid, 'batch-existing');
      assert.deepEqual(result.written, [true, false, true]);
      const stored = await mustGet(store, 'batch-existing');
      assert.equal(stored.tx.status, 'succeeded', 'the stale write changed nothing');
      assert.equal(stored.tx.leaseOwner, null);
      assert.equal((await store.history('batch-existing')).length, 1);
      assert.equal((await mustGet(store, 'batch-new')).tx.reason, 'written in the same batch');
      assert.equal((await mustGet(store, 'batch-new-2')).ops.length, also.ops.length);
    }));

  it('an empty commit is harmless', () =>
    withStore(open, async (store) => {
      assert.deepEqual(await store.commit({ inserts: [], writes: [] }), {
        inserted: [],
        written: [],
      });
    }));
}
