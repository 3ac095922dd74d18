import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Outcome, Store, StoreBatch, TransactionSnapshot } from '@accord/core';
import { createSnapshot, ManualClock } from '@accord/core';
import { tempDir, waitFor } from '@accord/testkit';
import { seed } from '@accord/store-conformance';
import { openStore } from '../stores/open-store.js';
import { sagaSpec } from '../../test-support/engine-harness.js';
import { reply, ScriptedCaller } from '../../test-support/scripted-caller.js';
import { CrashPoints } from './crash-points.js';
import { Driver } from './driver.js';
import { GroupCommitter } from './group-committer.js';
import { silentObserver } from './observer.js';

const LEASE_MS = 10_000;
const abandoned: Outcome = { kind: 'error', httpStatus: null, message: 'abandoned' };

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
  let signals: (AbortSignal | undefined)[];
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
    signals = [];
    caller = new ScriptedCaller((_call, _nth, signal) => {
      signals.push(signal);
      return new Promise<Outcome>((resolve) => {
        answers.push(resolve);
        // Like the HTTP caller: an abandoned call ends at once, outcome unknown.
        signal?.addEventListener('abort', () => resolve(abandoned));
      });
    });
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
      observer: { ...silentObserver, lost: (tx, why) => lost.push(`${tx.gid}: ${why}`) },
    });
  });

  /** A one-step saga claimed by `main` (lease `leaseMs`) and adopted. */
  async function adopted(leaseMs = LEASE_MS): Promise<string> {
    const spec = sagaSpec(1);
    const snapshot = createSnapshot(spec, clock.now());
    await seed(base, snapshot.tx, snapshot.ops);
    const claimed = await base.claim(spec.gid, 'main', clock.now(), leaseMs);
    assert.ok(claimed);
    await driver.adopt(claimed);
    return spec.gid;
  }

  /** As {@link adopted}, with its action call held open. */
  async function driving(): Promise<string> {
    const gid = await adopted();
    await waitFor(() => answers.length === 1, { what: 'the action call' });
    return gid;
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

  it('aborts the calls open under a lease a renewal finds lost', async () => {
    const gid = await driving();
    assert.equal(signals[0]?.aborted, false);
    clock.advance(LEASE_MS);
    assert.ok(await base.claim(gid, 'peer', clock.now(), LEASE_MS));
    await driver.renewLeases();
    assert.equal(signals[0]?.aborted, true, 'the open call was abandoned');
    answers[0]!(reply.ok);
    // The late answer changes nothing: the peer holds the transaction.
    await new Promise((r) => setTimeout(r, 50));
    const stored = await base.get(gid);
    assert.equal(stored?.tx.leaseOwner, 'peer');
    assert.equal((await base.history(gid)).length, 0);
  });

  /** A driver with a 1 s lease (margin 200 ms) on `store`. */
  function shortLeaseDriver(store: Store): Driver {
    return new Driver({
      store,
      committer: new GroupCommitter(store),
      caller,
      clock,
      random: () => 0.5,
      owner: 'main',
      leaseMs: 1_000,
      crash: new CrashPoints([]),
      observer: { ...silentObserver, lost: (tx, why) => lost.push(`${tx.gid}: ${why}`) },
    });
  }

  /** A saga claimed by `main` 850 ms ago with a 1 s lease: 150 ms left, under the margin. */
  async function shortOnLease(): Promise<TransactionSnapshot> {
    const spec = sagaSpec(1);
    const snapshot = createSnapshot(spec, clock.now());
    await seed(base, snapshot.tx, snapshot.ops);
    const claimed = await base.claim(spec.gid, 'main', clock.now() - 850, 1_000);
    assert.ok(claimed);
    return claimed;
  }

  it('renews a lease short of the margin before it starts a call', async () => {
    const claimed = await shortOnLease();
    await shortLeaseDriver(base).adopt(claimed);
    await waitFor(() => caller.calls.length === 1, { what: 'the call' });
    const stored = await base.get(claimed.tx.gid);
    assert.equal(stored?.tx.leaseUntil, clock.now() + 1_000, 'renewed before the call');
    assert.deepEqual(lost, []);
    answers[0]!(reply.ok);
  });

  it('starts no call when a lease short of the margin cannot be renewed', async () => {
    const claimed = await shortOnLease();
    const refusing = new Proxy(base, {
      get(target, key) {
        if (key === 'renew') return () => Promise.resolve([false]);
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const driver = shortLeaseDriver(refusing);
    await driver.adopt(claimed);
    await waitFor(() => lost.length === 1, { what: 'the lease to be given up' });
    assert.equal(caller.calls.length, 0, 'no call was started');
    assert.equal(driver.holds(claimed.tx.gid), false);
    assert.match(lost[0]!, /lease lost/);
  });

  it('abandons open calls when the lease nears expiry without a renewal, and retries them', async () => {
    const real = new Driver({
      store: base,
      committer: new GroupCommitter(base),
      caller,
      clock: { now: () => Date.now() },
      random: () => 0.5,
      owner: 'main',
      leaseMs: 500,
      crash: new CrashPoints([]),
      observer: { ...silentObserver, lost: (tx, why) => lost.push(`${tx.gid}: ${why}`) },
    });
    const spec = sagaSpec(1);
    const snapshot = createSnapshot(spec, Date.now());
    await seed(base, snapshot.tx, snapshot.ops);
    const claimed = await base.claim(spec.gid, 'main', Date.now(), 500);
    assert.ok(claimed);
    const started = Date.now();
    await real.adopt(claimed);
    await waitFor(() => signals[0]?.aborted === true, {
      timeoutMs: 2_000,
      what: 'the call to be abandoned',
    });
    // Not before the deadline (expiry minus a fifth of the lease).
    assert.ok(Date.now() - started >= 350, `abandoned after ${Date.now() - started} ms`);
    // Still held when the call came back: recorded as an unknown outcome, to be retried,
    // and the lease let go.
    const stored = await waitFor(
      async () => {
        const s = await base.get(spec.gid);
        return s && s.tx.leaseOwner === null ? s : undefined;
      },
      { what: 'the abandoned call to be recorded' },
    );
    assert.equal(stored.ops.find((o) => o.op === 'action')?.failures, 1);
    assert.equal(stored.tx.status, 'submitted');
    assert.deepEqual(lost, []);
  });
});
