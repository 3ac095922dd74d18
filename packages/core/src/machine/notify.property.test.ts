import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createSnapshot } from './create.js';
import { FC_OPTIONS } from '../../test-support/machine/arbitraries.js';
import {
  newTransaction,
  outcomeOf,
  type Scripted,
  step,
  testOptions,
} from '../../test-support/machine/fixtures.js';
import { transition } from './transition.js';
import type { DriveState } from './types.js';

const replyArb = fc.constantFrom<Scripted>('success', 'failure', 'ongoing', 'error', 'timeout');

/** A notification with a schedule, the receiver's replies in order, and their latencies. */
const notifyCase = fc.record({
  schedule: fc.array(
    fc.integer({ min: 1, max: 50 }).map((n) => n * 1000),
    { maxLength: 6 },
  ),
  replies: fc.array(replyArb, { minLength: 12, maxLength: 12 }),
  latencies: fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 12, maxLength: 12 }),
});

type NotifyCase = typeof notifyCase extends fc.Arbitrary<infer T> ? T : never;

interface Delivery {
  readonly at: number;
  readonly reply: Scripted;
}

/** Drives one notification to its end, as an executor would, with time jumping to each due instant. */
function run(c: NotifyCase) {
  const spec = newTransaction(
    'notify',
    [step('notify', { compensate: false })],
    testOptions({ schedule: c.schedule }),
  );
  let state: DriveState = { ...createSnapshot(spec, 0), inFlight: new Set() };
  const deliveries: Delivery[] = [];
  const alerts: string[] = [];
  let now = 0;
  for (let guard = 0; guard < 50; guard += 1) {
    const woke = transition(state, { type: 'wake' }, { now, random: () => 0.5 });
    state = woke.state;
    const [op] = woke.dispatch;
    if (!op) {
      if (state.tx.nextAttemptAt === null) break;
      now = Math.max(now + 1, state.tx.nextAttemptAt);
      continue;
    }
    const reply = c.replies[deliveries.length] ?? 'success';
    deliveries.push({ at: now, reply });
    const startedAt = now;
    now += c.latencies[deliveries.length - 1] ?? 0;
    const answered = transition(
      state,
      {
        type: 'result',
        branchId: op.branchId,
        op: op.op,
        attempt: op.attempts,
        startedAt,
        outcome: outcomeOf(reply),
      },
      { now, random: () => 0.5 },
    );
    alerts.push(...answered.alerts.map((a) => a.kind));
    state = answered.state;
  }
  return { state, deliveries, alerts };
}

describe('notify state machine (properties)', () => {
  it('delivers on the schedule until acknowledged, then succeeds; fails with an alert once the schedule is used up', () => {
    fc.assert(
      fc.property(notifyCase, (c) => {
        const { state, deliveries, alerts } = run(c);
        // Past the scripted replies the receiver acknowledges (ONGOING replies do not use
        // up the schedule, so a run can outlast the script).
        const firstAck = deliveries.findIndex((d) => d.reply === 'success');
        const notAcked = deliveries.filter((d) => d.reply !== 'success' && d.reply !== 'ongoing');
        const acked = deliveries.some((d) => d.reply === 'success');
        assert.ok(deliveries.length > 0, 'delivered at least once');
        if (acked) {
          assert.equal(state.tx.status, 'succeeded');
          assert.equal(deliveries.length, firstAck + 1, 'nothing is delivered after the ack');
          assert.deepEqual(alerts, []);
        } else {
          assert.equal(state.tx.status, 'failed');
          assert.equal(notAcked.length, c.schedule.length + 1, 'one try plus one per delay');
          assert.deepEqual(alerts, ['failed']);
          assert.match(state.tx.reason ?? '', /failed \d+ times in a row/);
        }
        // Each unacknowledged delivery is followed by the next one exactly after the
        // scheduled delay (counted from when its reply came back); an ONGOING reply
        // waits the fixed interval and does not use up the schedule.
        let failures = 0;
        for (let i = 1; i < deliveries.length; i += 1) {
          const previous = deliveries[i - 1]!;
          const answeredAt = previous.at + (c.latencies[i - 1] ?? 0);
          const gap = deliveries[i]!.at - answeredAt;
          if (previous.reply === 'ongoing') {
            assert.equal(gap, state.tx.options.retry.ongoingDelayMs);
          } else {
            failures += 1;
            assert.equal(gap, c.schedule[failures - 1], `delay before delivery ${i + 1}`);
          }
        }
      }),
      FC_OPTIONS,
    );
  });

  it('cannot be aborted, and a repeated submit changes nothing', () => {
    const spec = newTransaction('notify', [step('notify', { compensate: false })]);
    const state: DriveState = { ...createSnapshot(spec, 0), inFlight: new Set() };
    assert.equal(state.tx.status, 'submitted');
    const abort = transition(
      state,
      { type: 'abort', reason: 'no' },
      { now: 1, random: Math.random },
    );
    assert.equal(abort.rejection?.code, 'INVALID_STATE');
    const submit = transition(state, { type: 'submit' }, { now: 1, random: Math.random });
    assert.equal(submit.rejection, null);
    assert.equal(submit.state.tx.status, 'submitted');
  });
});
