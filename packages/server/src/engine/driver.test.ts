import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Outcome, Store, StoreBatch } from '@accord/core';
import { createSnapshot, ManualClock } from '@accord/core';
import { tempDir, waitFor } from '@accord/testkit';
import { openStore } from '../stores/open-store.js';
import { sagaSpec } from '../testing/engine-harness.js';
import { reply, ScriptedCaller } from '../testing/scripted-caller.js';
import { CrashPoints } from './crash-points.js';
import { Driver } from './driver.js';
import { GroupCommitter } from './group-committer.js';
import { silentObserver } from './observer.js';

const LEASE_MS = 10_000;

/** A store whose commits can be held back after they applied, before the caller hears of it. */
function gatedStore(store: Store): { store: Store; hold(): () => void } {
  let gate: Promise<void> | null = null;
  const commit = async (batch: StoreBatch) => {
    const result = await store.commit(batch);
    if (gate && batch.writes.some((w) => w.release)) await gate;
    return result;
  };
  const gated = new Proxy(store, {
    get(target, key) {
      if (key === 'commit') return commit;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return {
    store: gated,
    hold() {
      let open: () => void = () => undefined;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

describe('driver leases on a real SQLite store', () => {
  let dir: ReturnType<typeof tempDir>;
  let base: Store;
  let gated: ReturnType<typeof gatedStore>;
  let clock: ManualClock;
  let caller: ScriptedCaller;
  let answers: ((o: Outcome) => void)[];
  let lost: string[];
  let driver: Driver;

  before(async () => {
    dir = tempDir('accord-driver-');
    base = await openStore('sqlite:driver.db', { dataDir: dir.path });
    await base.migrate();
  });
  after(async () => {
    await base.close();
    dir.remove();
  });
  beforeEach(() => {
    gated = gatedStore(base);
    clock = new ManualClock(1_700_000_000_000);
    answers = [];
    caller = new ScriptedCaller(() => new Promise<Outcome>((resolve) => answers.push(resolve)));
    lost = [];
    driver = new Driver({
      store: gated.store,
      committer: new GroupCommitter(gated.store),
      caller,
      clock,
      random: () => 0.5,
      owner: 'main',
      leaseMs: LEASE_MS,
      crash: new CrashPoints([]),
      observer: { ...silentObserver, lost: (gid, why) => lost.push(`${gid}: ${why}`) },
    });
  });

  /** A one-step saga claimed by `main` and adopted, its action call held open. */
  async function driving(): Promise<string> {
    const spec = sagaSpec(1);
    const snapshot = createSnapshot(spec, clock.now());
    await base.insert(snapshot.tx, snapshot.ops);
    const claimed = await base.claim(spec.gid, 'main', clock.now(), LEASE_MS);
    assert.ok(claimed);
    await driver.adopt(claimed);
    await waitFor(() => answers.length === 1, { what: 'the action call' });
    return spec.gid;
  }

  it('does not report its own final write as a lost lease when a renewal sees it first', async () => {
    const gid = await driving();
    const open = gated.hold();
    answers[0]!(reply.ok);
    // The final write applied (lease freed) but the driver has not heard back yet.
    await waitFor(async () => (await base.get(gid))?.tx.leaseOwner === null, {
      what: 'the final write to apply',
    });
    await driver.renewLeases();
    open();
    await waitFor(() => driver.size === 0, { what: 'the driver to let go' });
    assert.deepEqual(lost, []);
    assert.equal((await base.get(gid))?.tx.status, 'succeeded');
  });

  it('reports a lease another instance claimed after it expired', async () => {
    const gid = await driving();
    clock.advance(LEASE_MS);
    assert.ok(await base.claim(gid, 'peer', clock.now(), LEASE_MS));
    await driver.renewLeases();
    assert.equal(lost.length, 1);
    assert.match(lost[0]!, /lease lost/);
    assert.equal(driver.holds(gid), false);
    answers[0]!(reply.ok);
  });
});
