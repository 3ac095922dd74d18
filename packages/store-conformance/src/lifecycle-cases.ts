/**
 * Conformance cases: migrations, ping, capabilities, exclusive use of a store that cannot
 * be shared, and behaviour after close.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  T,
  insertOne,
  mustGet,
  sagaSnapshot,
  seed,
  txRecord,
  withStore,
  writeAll,
  writeOf,
  type OpenConformanceStore,
} from './fixtures.js';

/** Registers the lifecycle cases. */
export function lifecycleCases(open: OpenConformanceStore): void {
  it('migrate again is harmless and keeps the data', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('m-1');
      await seed(store, snap.tx, snap.ops);
      await store.migrate();
      await store.migrate();
      assert.deepEqual(await store.get('m-1'), snap);
    }));

  it('migrate from two instances at once on fresh storage', async (t) => {
    const handle = await open();
    try {
      if (!handle.openAnother) {
        t.skip('this backend cannot open a second instance on the same storage');
        return;
      }
      const other = await handle.openAnother();
      await Promise.all([handle.store.migrate(), other.migrate(), handle.store.migrate()]);
      const snap = sagaSnapshot('m-2');
      await seed(handle.store, snap.tx, snap.ops);
      assert.deepEqual(await other.get('m-2'), snap);
    } finally {
      await handle.cleanup();
    }
  });

  it('ping answers and the capabilities are declared', () =>
    withStore(open, async (store) => {
      await store.ping();
      assert.ok(store.kind.length > 0);
      for (const flag of Object.values(store.capabilities)) assert.equal(typeof flag, 'boolean');
    }));

  it('a store that cannot be shared is held by one instance at a time', async (t) => {
    const handle = await open();
    try {
      if (handle.store.capabilities.sharedByInstances) {
        t.skip('instances share this backend: there is nothing to hold');
        return;
      }
      if (!handle.openAnother) {
        t.skip('this backend cannot open a second instance on the same storage');
        return;
      }
      const { store } = handle;
      const other = await handle.openAnother();
      for (const instance of [store, other]) {
        assert.equal(typeof instance.lockExclusive, 'function', 'it offers lockExclusive');
      }
      await store.lockExclusive?.();
      await assert.rejects(async () => other.lockExclusive?.(), Error);
      await store.close();
      await other.lockExclusive?.();
    } finally {
      await handle.cleanup();
    }
  });

  it('after close every operation rejects', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('z-1', T, { owner: 'o', until: T + 1000 });
      await seed(store, snap.tx, snap.ops);
      await store.close();
      await store.close(); // closing twice is harmless
      const calls: [string, () => Promise<unknown>][] = [
        ['ping', () => store.ping()],
        ['get', () => store.get('z-1')],
        ['history', () => store.history('z-1')],
        ['commit an insert', () => insertOne(store, txRecord('z-2'), [])],
        ['commit a write', () => writeAll(store, [writeOf(snap.tx, 1, { status: 'failed' })])],
        ['claim', () => store.claim('z-1', 'o2', T + 5000, 1000)],
        ['claimDue', () => store.claimDue('o2', T + 5000, 1000, 10)],
        ['renew', () => store.renew([{ gid: 'z-1', fence: 1 }], 'o', T + 9000)],
        ['list', () => store.list({ limit: 10 })],
        ['countParked', () => store.countParked()],
        ['summarize', () => store.summarize(T)],
        ['migrate', () => store.migrate()],
      ];
      for (const [name, call] of calls) await assert.rejects(call(), Error, name);
    }));

  it('a reopened instance sees what the first one wrote', async (t) => {
    const handle = await open();
    try {
      if (!handle.openAnother) {
        t.skip('this backend cannot open a second instance on the same storage');
        return;
      }
      await handle.store.migrate();
      const snap = sagaSnapshot('re-1', T, { owner: 'o', until: T + 1000 });
      await seed(handle.store, snap.tx, snap.ops);
      await writeAll(handle.store, [writeOf(snap.tx, 1, { status: 'aborting' })]);
      await handle.store.close();
      const other = await handle.openAnother();
      assert.equal((await mustGet(other, 're-1')).tx.status, 'aborting');
    } finally {
      await handle.cleanup();
    }
  });
}
