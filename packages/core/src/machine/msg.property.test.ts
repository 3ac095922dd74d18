import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CHECK_BRANCH_ID, isTerminal, opKey } from '../protocol.js';
import {
  FC_OPTIONS,
  latenciesArb,
  policyArb,
  repliesArb,
  seedArb,
  stepsArb,
  stubbornReplyArb,
  timeoutArb,
} from '../../test-support/machine/arbitraries.js';
import { findOp } from './phases.js';
import { budgetOf, type StepRecord } from '../../test-support/machine/driver.js';
import {
  CHECK_URL,
  newTransaction,
  type Scripted,
  step,
  testOptions,
} from '../../test-support/machine/fixtures.js';
import { type External, simulate, type SimResult } from '../../test-support/machine/simulate.js';
import { transition } from './transition.js';
import type { MachineEvent } from './types.js';

const at = fc.integer({ min: 0, max: 60 }).map((n) => n * 50);
const CHECK_KEY = opKey(CHECK_BRANCH_ID, 'check');

const clientEventArb = fc.constantFrom<MachineEvent>(
  { type: 'submit' },
  { type: 'abort', reason: 'producer rolled back' },
);
const extraArb = fc.record({
  event: fc.oneof(
    { weight: 4, arbitrary: clientEventArb },
    { weight: 2, arbitrary: fc.constant<MachineEvent>({ type: 'retry' }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<MachineEvent>(
        { type: 'resolve', status: 'succeeded', reason: 'delivered by hand' },
        { type: 'resolve', status: 'failed', reason: 'dropped' },
      ),
    },
  ),
  at,
});

const msgCase = fc
  .record({
    steps: fc
      .constantFrom('sequential', 'concurrent', 'dag' as const)
      .chain((layout) => stepsArb(layout, { maxSteps: 4, compensate: false })),
    concurrent: fc.boolean(),
    decision: fc.option(clientEventArb, { nil: null }),
    decisionAt: at,
    timeoutMs: timeoutArb,
    retry: policyArb,
    extras: fc.array(extraArb, { maxLength: 2 }),
    latencies: latenciesArb,
    seed: seedArb,
  })
  .chain((c) => {
    const keys = c.steps.map((s) => opKey(s.id, 'action')).concat([CHECK_KEY]);
    return repliesArb(keys, stubbornReplyArb, 5).map((replies) => ({ c, replies }));
  })
  .map(({ c, replies }) => {
    const externals: External[] = c.extras.slice();
    if (c.decision) externals.push({ at: c.decisionAt, event: c.decision });
    return {
      spec: newTransaction(
        'msg',
        c.steps,
        testOptions({ retry: c.retry, timeoutMs: c.timeoutMs, concurrent: c.concurrent }),
      ),
      replies,
      externals,
      latencies: c.latencies,
      seed: c.seed,
    };
  });

/**
 * The client's decision races the check-back: it arrives around the prepared timeout
 * while the producer keeps answering the check badly, on a small budget.
 */
const raceCase = fc
  .record({
    timeoutMs: fc.integer({ min: 1, max: 4 }).map((n) => n * 50),
    decision: clientEventArb,
    decisionAt: fc.integer({ min: 0, max: 16 }).map((n) => n * 25),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    check: fc.array(
      fc.constantFrom<Scripted>('error', 'timeout', 'ongoing', 'failure', 'success'),
      {
        maxLength: 4,
      },
    ),
    latencies: latenciesArb,
  })
  .map((c) => ({
    spec: newTransaction(
      'msg',
      [step('s0', { compensate: false }), step('s1', { compensate: false })],
      testOptions({
        timeoutMs: c.timeoutMs,
        retry: { maxAttempts: c.maxAttempts, firstDelayMs: 20 },
      }),
    ),
    replies: { [CHECK_KEY]: c.check },
    externals: [{ at: c.decisionAt, event: c.decision }],
    latencies: c.latencies,
  }));

function assertLikeWake(s: StepRecord): void {
  const wake = transition(s.before, { type: 'wake' }, { now: s.now, random: () => 0.5 });
  assert.deepEqual(s.decision, wake, `step ${s.index}: repeated ${s.event.type} is not a no-op`);
}

function assertRejected(s: StepRecord, code: string): void {
  assert.equal(
    s.decision.rejection?.code,
    code,
    `step ${s.index}: ${s.event.type} while ${s.before.tx.status}`,
  );
}

/** Every transition against the msg rules. */
function checkSteps(run: SimResult): void {
  for (const s of run.driver.steps) {
    const { before, event, decision, now } = s;
    const after = decision.state;
    const from = before.tx.status;
    const to = after.tx.status;
    const where = `step ${s.index} (${event.type} at ${now})`;
    switch (event.type) {
      case 'submit':
        if (from === 'prepared') {
          assert.equal(to, 'submitted', where);
          assert.equal(after.tx.parked, false, `${where}: submitted but still parked`);
          assert.ok(decision.dispatch.length > 0, `${where}: submit delivered nothing`);
        } else if (from === 'submitted' || from === 'succeeded') assertLikeWake(s);
        else assertRejected(s, 'INVALID_STATE');
        continue;
      case 'abort':
        if (from === 'prepared') {
          assert.equal(to, 'failed', where);
          assert.equal(after.tx.reason, event.reason);
        } else if (from === 'failed') assertLikeWake(s);
        else assertRejected(s, 'INVALID_STATE');
        continue;
      case 'resolve':
      case 'retry':
        assert.equal(decision.rejection?.code ?? null, isTerminal(from) ? 'INVALID_STATE' : null);
        continue;
      case 'register':
        assertRejected(s, 'INVALID_STATE');
        continue;
      case 'result':
      case 'wake':
        break;
    }
    if (from !== 'prepared') continue;
    const check = findOp(before.ops, CHECK_BRANCH_ID, 'check');
    if (event.type === 'result' && event.op === 'check' && before.inFlight.has(CHECK_KEY)) {
      // The check-back decides: committed → deliver, not committed → fail, else ask again later.
      const expected = {
        success: 'submitted',
        failure: 'failed',
        ongoing: 'prepared',
        error: 'prepared',
      } as const;
      assert.equal(to, expected[event.outcome.kind], where);
      continue;
    }
    assert.equal(to, 'prepared', `${where}: a prepared msg moved by itself`);
    if (!check && before.tx.deadlineAt !== null && now >= before.tx.deadlineAt) {
      // Past the prepared timeout the producer is asked, once, at its check URL.
      const calls = decision.dispatch.filter((o) => o.op === 'check');
      assert.equal(calls.length, 1, `${where}: no check-back past the deadline`);
      assert.equal(calls[0]?.url, CHECK_URL);
      assert.equal(calls[0]?.branchId, CHECK_BRANCH_ID);
    }
  }
}

function checkMsgRun(run: SimResult): void {
  const { driver, end } = run;
  const { steps, calls, replies, state: final } = driver;
  assert.notEqual(end, 'step-limit', 'the run did not end');
  checkSteps(run);

  const deadline = steps[0]?.before.tx.deadlineAt ?? null;
  const deps = new Map(final.ops.map((o) => [o.branchId, o.dependsOn]));
  for (const c of calls) {
    if (c.op === 'action') {
      assert.equal(c.status, 'submitted', `${c.key} delivered while ${c.status}`);
      for (const dep of deps.get(c.branchId) ?? []) {
        const key = opKey(dep, 'action');
        assert.ok(
          replies.some((r) => r.key === key && r.reply === 'success' && r.step <= c.step),
          `${c.key} delivered before ${dep}`,
        );
      }
    } else {
      assert.equal(c.op, 'check');
      assert.equal(c.status, 'prepared');
      assert.ok(deadline !== null && c.at >= deadline, 'check-back before the timeout');
    }
  }
  // A delivery refused with 409 is an error like any other: never fails the message.
  for (const r of replies) {
    if (r.op !== 'action' || r.reply !== 'failure') continue;
    const s = steps[r.step];
    assert.ok(s);
    assert.equal(findOp(s.decision.state.ops, r.branchId, 'action')?.status, 'pending');
    if (s.before.tx.status === 'submitted') {
      assert.equal(s.decision.state.tx.status, 'submitted', `409 from ${r.key} changed the status`);
    }
  }

  const leave = steps.find((s) => s.decision.state.tx.status !== 'prepared');
  const resolved = steps.some((s) => s.event.type === 'resolve' && s.decision.rejection === null);
  const actions = final.ops.filter((o) => o.op === 'action');
  if (!leave) {
    // Still prepared: no timeout and no decision yet, or the check-back could not get through.
    assert.equal(calls.filter((c) => c.op === 'action').length, 0);
    if (final.tx.deadlineAt === null) assert.equal(end, 'waiting');
    else {
      assert.equal(end, 'parked');
      const check = findOp(final.ops, CHECK_BRANCH_ID, 'check');
      assert.ok(check && check.failures >= budgetOf(final, check));
    }
    return;
  }
  if (leave.decision.state.tx.status !== 'submitted') {
    // Aborted, refused by the check-back or resolved: nothing is ever delivered.
    assert.equal(
      calls.filter((c) => c.op === 'action').length,
      0,
      'a failed message was delivered',
    );
    return;
  }
  if (resolved) return;
  // Submitted: each step is delivered until it succeeds.
  if (end === 'parked') {
    assert.equal(final.tx.status, 'submitted');
    const stuck = actions.filter((o) => o.status === 'pending' && o.failures >= budgetOf(final, o));
    assert.ok(stuck.length > 0, 'parked without an exhausted delivery');
    return;
  }
  assert.equal(end, 'terminal');
  assert.equal(final.tx.status, 'succeeded');
  for (const a of actions) {
    assert.equal(a.status, 'succeeded');
    const key = opKey(a.branchId, 'action');
    assert.equal(replies.filter((r) => r.key === key && r.reply === 'success').length, 1);
  }
}

describe('msg state machine (properties)', () => {
  it('submit delivers every step until success, abort and a refused check-back fail without delivering, timeout asks the producer', () => {
    fc.assert(
      fc.property(msgCase, (c) => {
        checkMsgRun(simulate(c));
      }),
      FC_OPTIONS,
    );
  });

  it('a client decision racing the check-back wins cleanly (late check replies park nothing)', () => {
    fc.assert(
      fc.property(raceCase, (c) => {
        checkMsgRun(simulate(c));
      }),
      FC_OPTIONS,
    );
  });
});
