import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GlobalStatus, Outcome, TransactionSnapshot } from '@accord/core';
import { newOp } from '@accord/core';
import { waitFor } from '@accord/testkit';
import type { Harness } from '../../test-support/engine-harness.js';
import { preparedSpec, sagaSpec, startHarness } from '../../test-support/engine-harness.js';
import { reply } from '../../test-support/scripted-caller.js';

/**
 * How long a waiting create or submit, or a wait for a status, may take. Far above what
 * an idle machine needs: on a loaded one a short wait returns before the outcome, and the
 * test would fail on speed rather than behaviour.
 */
const WAIT_MS = 60_000;

async function until(
  h: Harness,
  gid: string,
  status: GlobalStatus,
  parked = false,
): Promise<TransactionSnapshot> {
  return waitFor(
    async () => {
      const s = await h.store.get(gid);
      return s && s.tx.status === status && s.tx.parked === parked && s.tx.leaseOwner === null
        ? s
        : undefined;
    },
    { timeoutMs: WAIT_MS, what: `${gid} to be ${status}${parked ? ' (parked)' : ''}` },
  );
}

function branch(id: string) {
  return [
    newOp(id, 'confirm', { url: `http://p/${id}/confirm`, payload: '{}' }, 0, 0),
    newOp(id, 'cancel', { url: `http://p/${id}/cancel`, payload: '{}' }, 0, 0),
  ];
}

describe('engine on a real SQLite store', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('runs a saga forward and reports the result to a waiting create', async () => {
    const spec = sagaSpec(3);
    const result = await h.engine.create(spec, WAIT_MS);
    assert.equal(result.created, true);
    assert.equal(result.snapshot.tx.status, 'succeeded');
    assert.deepEqual(h.caller.sequence(spec.gid), ['s1:action', 's2:action', 's3:action']);
    const stored = await until(h, spec.gid, 'succeeded');
    assert.ok(stored.ops.filter((o) => o.op === 'action').every((o) => o.status === 'succeeded'));
    assert.equal((await h.store.history(spec.gid)).length, 3);
  });

  it('compensates started steps in reverse order when a step refuses', async () => {
    const spec = sagaSpec(3);
    h.caller.script = (c) =>
      c.gid === spec.gid && c.branchId === 's2' && c.op === 'action' ? reply.refuse : reply.ok;
    const result = await h.engine.create(spec, WAIT_MS);
    assert.equal(result.snapshot.tx.status, 'failed');
    assert.match(result.snapshot.tx.reason ?? '', /refused/);
    assert.deepEqual(h.caller.sequence(spec.gid), [
      's1:action',
      's2:action',
      's2:compensate',
      's1:compensate',
    ]);
    h.caller.script = () => reply.ok;
  });

  it('retries an unknown outcome after the backoff delay, then succeeds', async () => {
    const spec = sagaSpec(1);
    h.caller.script = (c, nth) => (c.gid === spec.gid && nth === 1 ? reply.timeout : reply.ok);
    await h.engine.create(spec, null);
    await waitFor(async () => (await h.store.get(spec.gid))?.ops[0]?.failures === 1, {
      what: 'first failure',
    });
    h.clock.advance(1_000); // first retry delay (jitter fixed at 0 by random 0.5)
    const done = await until(h, spec.gid, 'succeeded');
    assert.equal(done.ops.find((o) => o.op === 'action')?.attempts, 2);
    h.caller.script = () => reply.ok;
  });

  it('aborts a saga whose step exhausts its retry budget, compensating it too', async () => {
    const spec = sagaSpec(2);
    h.caller.script = (c) =>
      c.gid === spec.gid && c.branchId === 's2' && c.op === 'action' ? reply.error : reply.ok;
    await h.engine.create(spec, null);
    for (let i = 0; i < 3; i++) {
      await waitFor(
        async () =>
          (await h.store.get(spec.gid))?.ops.find((o) => o.branchId === 's2')?.failures === i + 1,
      );
      // Past each retry delay. Not after the last failure: compensation starts at once,
      // and moving the clock a lease ahead while it runs would let the lease lapse
      // mid-call, so a second call (allowed, at least once) would muddle the order.
      if (i < 2) h.clock.advance(10_000);
    }
    const done = await until(h, spec.gid, 'failed');
    assert.match(done.tx.reason ?? '', /failed 3 times/);
    assert.deepEqual(h.caller.sequence(spec.gid).slice(-2), ['s2:compensate', 's1:compensate']);
    h.caller.script = () => reply.ok;
  });

  it('confirms every registered tcc branch on submit and is idempotent', async () => {
    const spec = preparedSpec('tcc');
    await h.engine.create(spec, null);
    await h.engine.register(spec.gid, branch('b1'));
    await h.engine.register(spec.gid, branch('b2'));
    await h.engine.register(spec.gid, branch('b2')); // same body again: no-op
    const submitted = await h.engine.submit(spec.gid, WAIT_MS);
    assert.equal(submitted.tx.status, 'succeeded');
    assert.deepEqual(h.caller.sequence(spec.gid).sort(), ['b1:confirm', 'b2:confirm']);
    assert.equal((await h.engine.submit(spec.gid, null)).tx.status, 'succeeded');
    await assert.rejects(h.engine.abort(spec.gid, 'late'), { code: 'INVALID_STATE' });
  });

  it('cancels a tcc on abort and on prepared timeout, and refuses late registration', async () => {
    const aborted = preparedSpec('tcc');
    await h.engine.create(aborted, null);
    await h.engine.register(aborted.gid, branch('b1'));
    await h.engine.abort(aborted.gid, 'client gave up');
    await until(h, aborted.gid, 'failed');
    assert.deepEqual(h.caller.sequence(aborted.gid), ['b1:cancel']);
    await assert.rejects(h.engine.register(aborted.gid, branch('b9')), { code: 'INVALID_STATE' });
    await assert.rejects(h.engine.submit(aborted.gid, null), { code: 'INVALID_STATE' });

    const timedOut = preparedSpec('tcc');
    await h.engine.create(timedOut, null);
    await h.engine.register(timedOut.gid, branch('b1'));
    h.clock.advance(35_001);
    const done = await until(h, timedOut.gid, 'failed');
    assert.equal(done.tx.reason, 'timed out while prepared');
    assert.deepEqual(h.caller.sequence(timedOut.gid), ['b1:cancel']);
  });

  it('delivers a submitted msg, and asks the check-back when no submit comes', async () => {
    const direct = preparedSpec('msg');
    await h.engine.create(direct, null);
    assert.equal((await h.engine.submit(direct.gid, WAIT_MS)).tx.status, 'succeeded');
    assert.deepEqual(h.caller.sequence(direct.gid), ['s1:action', 's2:action']);

    const committed = preparedSpec('msg');
    const rolledBack = preparedSpec('msg');
    h.caller.script = (c) =>
      c.gid === rolledBack.gid && c.op === 'check' ? reply.refuse : reply.ok;
    await h.engine.create(committed, null);
    await h.engine.create(rolledBack, null);
    h.clock.advance(35_001);
    await until(h, committed.gid, 'succeeded');
    assert.deepEqual(h.caller.sequence(committed.gid), ['_check:check', 's1:action', 's2:action']);
    const failed = await until(h, rolledBack.gid, 'failed');
    assert.match(failed.tx.reason ?? '', /did not commit/);
    assert.deepEqual(h.caller.sequence(rolledBack.gid), ['_check:check']);
    h.caller.script = () => reply.ok;
  });

  it('parks a compensation that never succeeds, then an operator retry finishes it', async () => {
    const spec = sagaSpec(1);
    let healthy = false;
    h.caller.script = (c) => {
      if (c.gid !== spec.gid) return reply.ok;
      if (c.op === 'action') return reply.refuse;
      return healthy ? reply.ok : reply.error;
    };
    await h.engine.create(spec, null);
    for (let i = 0; i < 3; i++) {
      await waitFor(
        async () =>
          (await h.store.get(spec.gid))?.ops.find((o) => o.op === 'compensate')?.failures === i + 1,
      );
      h.clock.advance(10_000);
    }
    const parked = await until(h, spec.gid, 'aborting', true);
    assert.match(parked.tx.reason ?? '', /compensate of branch s1 failed 3 times/);
    assert.equal(parked.tx.nextAttemptAt, null);
    h.clock.advance(600_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.caller.sequence(spec.gid).length, 4, 'a parked transaction is not retried');
    healthy = true;
    await h.engine.retry(spec.gid);
    await until(h, spec.gid, 'failed');
    const history = await h.store.history(spec.gid);
    assert.ok(history.some((a) => a.op === 'retry'));
    h.caller.script = () => reply.ok;
  });

  it('treats a repeated create as idempotent and a different body as a conflict', async () => {
    const spec = sagaSpec(1);
    await h.engine.create(spec, WAIT_MS);
    const again = await h.engine.create(spec, null);
    assert.equal(again.created, false);
    assert.equal(again.snapshot.tx.status, 'succeeded');
    await assert.rejects(h.engine.create({ ...spec, fingerprint: 'other' }, null), {
      code: 'GID_CONFLICT',
    });
    assert.deepEqual(h.caller.sequence(spec.gid), ['s1:action']);
  });

  it('lets an operator resolve a stuck transaction, with the reason recorded', async () => {
    const spec = preparedSpec('tcc');
    await h.engine.create(spec, null);
    const resolved = await h.engine.resolve(spec.gid, 'failed', 'customer refunded by hand');
    assert.equal(resolved.tx.status, 'failed');
    assert.equal(resolved.tx.reason, 'resolved by operator: customer refunded by hand');
    assert.ok((await h.store.history(spec.gid)).some((a) => a.op === 'resolve'));
    await assert.rejects(h.engine.retry(spec.gid), { code: 'INVALID_STATE' });
  });
});

describe('two engine instances on one store', () => {
  it('fences out a stalled owner: its late result changes nothing', async () => {
    const h = await startHarness(2_000, { stalledMain: true });
    try {
      const peer = h.peer('peer');
      const spec = sagaSpec(1);
      let release: (o: Outcome) => void = () => undefined;
      h.caller.script = () => new Promise<Outcome>((resolve) => (release = resolve));
      peer.caller.script = (c) => (c.op === 'action' ? reply.refuse : reply.ok);
      await h.engine.create(spec, null);
      await waitFor(() => h.caller.calls.length === 1, { what: 'first call in flight' });
      // The first owner stalls (its lease is not renewed in time): the peer takes over.
      h.clock.advance(2_001);
      const done = await until(h, spec.gid, 'failed');
      assert.deepEqual(peer.caller.sequence(spec.gid), ['s1:action', 's1:compensate']);
      release(reply.ok); // the stalled call finally answers "success"
      await new Promise((r) => setTimeout(r, 50));
      const after = await h.store.get(spec.gid);
      assert.equal(after?.tx.status, 'failed');
      assert.deepEqual(after?.ops, done.ops);
    } finally {
      await h.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('releases a transaction with a call in flight so another instance finishes it', async () => {
    const h = await startHarness(2_000, { stalledMain: true });
    try {
      const spec = sagaSpec(1);
      h.caller.script = () => new Promise<Outcome>(() => undefined); // never answers
      await h.engine.create(spec, null);
      await waitFor(() => h.caller.calls.length === 1, { what: 'the call to start' });
      await h.engine.stop(50);
      const released = await h.store.get(spec.gid);
      assert.equal(released?.tx.leaseOwner, null, 'lease given up at shutdown');
      assert.equal(released?.tx.status, 'submitted');
      await assert.rejects(h.engine.create(sagaSpec(1), null), { code: 'SHUTTING_DOWN' });
      const peer = h.peer('successor');
      const done = await until(h, spec.gid, 'succeeded');
      assert.deepEqual(peer.caller.sequence(spec.gid), ['s1:action']);
      assert.equal(done.ops[0]?.attempts, 2, 'the unanswered call counts as an attempt');
    } finally {
      await h.close();
    }
  });
});

describe('retention', () => {
  it('purges terminal transactions once they are older than the retention age', async () => {
    const h = await startHarness(10_000, { retentionMs: 4_000 });
    try {
      const old = sagaSpec(1);
      await h.engine.create(old, WAIT_MS);
      const running = preparedSpec('tcc', {
        options: { ...sagaSpec(0).options, timeoutMs: 10 * 60_000 },
      });
      await h.engine.create(running, null);
      h.clock.advance(4_001);
      await waitFor(async () => (await h.store.get(old.gid)) === undefined, {
        timeoutMs: WAIT_MS,
        what: 'the old saga to be purged',
      });
      assert.ok(await h.store.get(running.gid), 'non-terminal transactions are kept');
    } finally {
      await h.close();
    }
  });
});
