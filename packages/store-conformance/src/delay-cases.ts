/**
 * Conformance cases: delayed delivery. The delay lives in the stored options and in the
 * ops' retry times, so every backend must give both back exactly and must not hand the
 * transaction out before it falls due.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Mode, TransactionOptions } from '@accord/core';
import { createSnapshot, transition } from '@accord/core';
import { OPTIONS, T, mustGet, seed, withStore, writeAll, writeOf } from './fixtures.js';
import type { OpenConformanceStore } from './fixtures.js';

const LEASE = 1000;
const DELAY = 60_000;

function delayed(
  gid: string,
  mode: Mode,
  delay: Pick<TransactionOptions, 'delayMs' | 'deliverAt'>,
) {
  const options: TransactionOptions = { ...OPTIONS, ...delay };
  return createSnapshot(
    {
      gid,
      mode,
      options,
      checkUrl: mode === 'msg' ? 'http://svc.test/check' : null,
      fingerprint: `fp-${gid}`,
      steps: [{ id: 'a', action: { url: 'http://svc.test/a', payload: '{"n":1}' } }],
    },
    T,
  );
}

/** Registers the delayed-delivery cases. */
export function delayCases(open: OpenConformanceStore): void {
  it('a delayed notification keeps its delay and is not due before its due time', () =>
    withStore(open, async (store) => {
      const snap = delayed('d-note', 'notify', { deliverAt: T + DELAY });
      await seed(store, snap.tx, snap.ops);
      assert.deepEqual(await store.get('d-note'), snap);
      assert.deepEqual(await store.claimDue('me', T + DELAY - 1, LEASE, 10), []);
      const claimed = await store.claimDue('me', T + DELAY, LEASE, 10);
      assert.deepEqual(
        claimed.map((c) => [c.tx.gid, c.tx.options.deliverAt, c.ops[0]?.nextAttemptAt]),
        [['d-note', T + DELAY, T + DELAY]],
      );
    }));

  it('a msg submitted with a delay stores its due time with its steps', () =>
    withStore(open, async (store) => {
      const snap = delayed('d-msg', 'msg', { delayMs: DELAY });
      await seed(store, snap.tx, snap.ops);
      const claimed = await store.claim('d-msg', 'me', T, LEASE);
      assert.ok(claimed);
      const decision = transition(
        { ...claimed, inFlight: new Set() },
        { type: 'submit' },
        { now: T + 5, random: () => 0.5 },
      );
      assert.deepEqual(decision.dispatch, []);
      const next = decision.state.tx;
      const write = writeOf(
        next,
        claimed.tx.fence,
        {},
        { ops: decision.changedOps, release: true },
      );
      assert.deepEqual(await writeAll(store, [write]), [true]);
      const stored = await mustGet(store, 'd-msg');
      assert.equal(stored.tx.options.delayMs, DELAY);
      assert.equal(stored.tx.nextAttemptAt, T + 5 + DELAY);
      assert.equal(stored.ops[0]?.nextAttemptAt, T + 5 + DELAY);
      assert.deepEqual(await store.claimDue('me', T + 4 + DELAY, LEASE, 10), []);
      const due = await store.claimDue('me', T + 5 + DELAY, LEASE, 10);
      assert.deepEqual(
        due.map((c) => c.tx.gid),
        ['d-msg'],
      );
    }));
}
