import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DELIVERY_DELAY_MS, deliveryDueAt } from '../delivery-delay.js';
import { opKey } from '../protocol.js';
import type { TransactionOptions } from '../protocol.js';
import { Driver } from '../../test-support/machine/driver.js';
import { newTransaction, step, testOptions } from '../../test-support/machine/fixtures.js';
import { createSnapshot } from './create.js';
import { nextAttemptAt, transition } from './transition.js';
import type { Decision, DriveState } from './types.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const keys = (d: Decision) => d.dispatch.map((o) => opKey(o.branchId, o.op));
const exact = (extra: Partial<TransactionOptions> = {}) =>
  testOptions({ ...extra, retry: { jitter: 0, firstDelayMs: 1_000 } });

function msg(options: TransactionOptions): Driver {
  return Driver.create(
    newTransaction('msg', [step('a', { compensate: false }), step('b', { compensate: false })], {
      ...options,
      concurrent: true,
    }),
    T0,
  );
}

function notify(options: TransactionOptions): Driver {
  return Driver.create(
    newTransaction('notify', [step('notify', { compensate: false })], {
      ...options,
      schedule: [MINUTE, 5 * MINUTE],
    }),
    T0,
  );
}

describe('delayed delivery', () => {
  it('computes the due time from the submit, a deliverAt in the past meaning at once', () => {
    assert.equal(deliveryDueAt({}, T0), null);
    assert.equal(deliveryDueAt({ delayMs: 5_000 }, T0), T0 + 5_000);
    assert.equal(deliveryDueAt({ deliverAt: T0 + 9 }, T0), T0 + 9);
    assert.equal(deliveryDueAt({ deliverAt: T0 - 9 }, T0), T0);
    assert.equal(MAX_DELIVERY_DELAY_MS, 30 * 24 * 3_600_000);
  });

  it('a delayed msg delivers nothing before its due time after the submit, then every step', () => {
    const d = msg(exact({ delayMs: 10 * MINUTE }));
    d.now = T0 + MINUTE; // submitted a minute after prepare: due 10 min after that
    const submitted = d.apply({ type: 'submit' });
    assert.equal(d.state.tx.status, 'submitted');
    assert.deepEqual(keys(submitted), []);
    assert.equal(d.state.tx.nextAttemptAt, T0 + 11 * MINUTE);
    // Stored with the ops: a new owner reads the due time back.
    assert.deepEqual(
      submitted.changedOps.map((o) => [o.branchId, o.nextAttemptAt]),
      [
        ['a', T0 + 11 * MINUTE],
        ['b', T0 + 11 * MINUTE],
      ],
    );
    d.now = T0 + 11 * MINUTE - 1;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), []);
    d.now = T0 + 11 * MINUTE;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action', 'b:action']);
    d.reply('a', 'action', 'success');
    d.reply('b', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
  });

  it('a retry after a failed delivery backs off from the delivery, not from the delay', () => {
    const d = msg(exact({ delayMs: 10 * MINUTE }));
    d.apply({ type: 'submit' });
    d.now = T0 + 10 * MINUTE;
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'error');
    assert.equal(d.op('a', 'action').nextAttemptAt, d.now + 1_000);
  });

  it('a resubmit does not restart the delay, and an operator retry does not cut it short', () => {
    const d = msg(exact({ delayMs: 10 * MINUTE }));
    d.apply({ type: 'submit' });
    d.now = T0 + 5 * MINUTE;
    assert.deepEqual(keys(d.apply({ type: 'submit' })), []);
    assert.deepEqual(keys(d.apply({ type: 'retry' })), []);
    assert.equal(d.state.tx.nextAttemptAt, T0 + 10 * MINUTE);
  });

  it('a deliverAt holds the steps until that instant; one already past delivers at submit', () => {
    const later = msg(exact({ deliverAt: T0 + 3 * MINUTE }));
    assert.deepEqual(keys(later.apply({ type: 'submit' })), []);
    assert.equal(later.state.tx.nextAttemptAt, T0 + 3 * MINUTE);
    const past = msg(exact({ deliverAt: T0 - MINUTE }));
    assert.deepEqual(keys(past.apply({ type: 'submit' })), ['a:action', 'b:action']);
  });

  it('a msg the check-back found committed is delayed from that answer', () => {
    const d = Driver.create(
      newTransaction(
        'msg',
        [step('a', { compensate: false })],
        exact({
          delayMs: 10 * MINUTE,
          timeoutMs: MINUTE,
        }),
      ),
      T0,
    );
    d.now = T0 + MINUTE;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['_check:check']);
    d.now += 2_000;
    assert.deepEqual(keys(d.reply('_check', 'check', 'success')), []);
    assert.equal(d.state.tx.status, 'submitted');
    assert.equal(d.state.tx.nextAttemptAt, d.now + 10 * MINUTE);
  });

  it('a delayed notification makes its first attempt at the due time, its schedule from there', () => {
    const d = notify(exact({ delayMs: 30 * MINUTE }));
    assert.equal(d.state.tx.status, 'submitted');
    assert.equal(d.state.tx.nextAttemptAt, T0 + 30 * MINUTE);
    assert.deepEqual(keys(d.apply({ type: 'wake' })), []);
    d.now = T0 + 30 * MINUTE;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['notify:action']);
    d.reply('notify', 'action', 'error');
    assert.equal(d.state.tx.nextAttemptAt, T0 + 31 * MINUTE);
  });

  it('survives a new owner: the stored snapshot alone says when the delivery is due', () => {
    const d = msg(exact({ delayMs: 10 * MINUTE }));
    d.apply({ type: 'submit' });
    // What a restarted coordinator reads back from the store: no in-flight set, no memory.
    const stored: DriveState = {
      tx: { ...d.state.tx },
      ops: d.state.ops.map((o) => ({ ...o })),
      inFlight: new Set(),
    };
    assert.equal(nextAttemptAt(stored, T0 + MINUTE), T0 + 10 * MINUTE);
    const early = transition(stored, { type: 'wake' }, { now: T0 + 9 * MINUTE, random: () => 0 });
    assert.deepEqual(keys(early), []);
    const due = transition(stored, { type: 'wake' }, { now: T0 + 10 * MINUTE, random: () => 0 });
    assert.deepEqual(keys(due), ['a:action', 'b:action']);
  });

  it('modes that do not delay deliveries ignore the fields (the API refuses them)', () => {
    const snapshot = createSnapshot(
      newTransaction('saga', [step('a')], exact({ delayMs: MINUTE })),
      T0,
    );
    assert.equal(snapshot.tx.nextAttemptAt, T0);
  });
});
