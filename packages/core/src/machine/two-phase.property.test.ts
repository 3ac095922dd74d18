import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isTerminal, type OpName, opKey } from '../protocol.js';
import {
  FC_OPTIONS,
  latenciesArb,
  policyArb,
  repliesArb,
  seedArb,
  stubbornReplyArb,
  timeoutArb,
} from '../../test-support/machine/arbitraries.js';
import { registeredOps } from './mode-rules.js';
import { findOp } from './phases.js';
import { budgetOf, type StepRecord } from '../../test-support/machine/driver.js';
import {
  newTransaction,
  registerEvent,
  type Scripted,
  testOptions,
} from '../../test-support/machine/fixtures.js';
import { type External, simulate, type SimResult } from '../../test-support/machine/simulate.js';
import { transition } from './transition.js';
import type { MachineEvent } from './types.js';

const at = fc.integer({ min: 0, max: 60 }).map((n) => n * 50);

type Extra =
  | 'submit'
  | 'abort'
  | 'retry'
  | 'resolve-succeeded'
  | 'resolve-failed'
  | 'register-again'
  | 'register-conflict'
  | 'register-late';

const extraArb = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<Extra>('submit', 'abort', 'retry') },
    { weight: 2, arbitrary: fc.constantFrom<Extra>('resolve-succeeded', 'resolve-failed') },
    {
      weight: 3,
      arbitrary: fc.constantFrom<Extra>('register-again', 'register-conflict', 'register-late'),
    },
  ),
  at,
});

/** The two modes whose client registers branches, then submits or aborts. */
type TwoPhaseMode = 'tcc' | 'xa';

/** The forward and backward op of a registered branch of `mode`. */
function opsOf(mode: TwoPhaseMode): readonly [OpName, OpName] {
  const ops = registeredOps(mode);
  if (!ops) throw new Error(`${mode} registers no branches`);
  return ops;
}

const twoPhaseCase = (mode: TwoPhaseMode) =>
  fc
    .record({
      branches: fc.array(at, { maxLength: 4 }),
      decision: fc.constantFrom('submit', 'abort', 'none'),
      decisionAt: at,
      timeoutMs: timeoutArb,
      retry: policyArb,
      extras: fc.array(extraArb, { maxLength: 3 }),
      latencies: latenciesArb,
      seed: seedArb,
    })
    .chain((c) => {
      const ids = c.branches.map((_, i) => `b${i}`).concat(['late0', 'late1', 'late2']);
      const keys = ids.flatMap((id) => opsOf(mode).map((op) => opKey(id, op)));
      return repliesArb(keys, stubbornReplyArb, 6).map((replies) => ({ c, replies }));
    })
    .map(({ c, replies }) => {
      const externals: External[] = c.branches.map((when, i) => ({
        at: when,
        event: registerEvent(`b${i}`, 0, opsOf(mode)),
      }));
      if (c.decision === 'submit') externals.push({ at: c.decisionAt, event: { type: 'submit' } });
      if (c.decision === 'abort') {
        externals.push({ at: c.decisionAt, event: { type: 'abort', reason: 'client gave up' } });
      }
      c.extras.forEach((extra, i) => {
        externals.push({
          at: extra.at,
          event: extraEvent(mode, extra.kind, i, c.branches.length),
        });
      });
      return {
        spec: newTransaction(mode, [], testOptions({ retry: c.retry, timeoutMs: c.timeoutMs })),
        replies,
        externals,
        latencies: c.latencies,
        seed: c.seed,
      };
    });

/**
 * Operators at work: branches that keep failing (small budgets, mostly errors), and a
 * resolve or retry arriving at any moment, often while calls are in flight.
 */
const operatorCase = (mode: TwoPhaseMode) =>
  fc
    .record({
      branches: fc.integer({ min: 1, max: 3 }),
      decision: fc.constantFrom<MachineEvent>({ type: 'submit' }, { type: 'abort', reason: 'no' }),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
      operator: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 40 }).map((n) => n * 25),
          kind: fc.constantFrom<Extra>('retry', 'resolve-succeeded', 'resolve-failed'),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      latencies: latenciesArb,
      seed: seedArb,
    })
    .chain((c) => {
      const ids = Array.from({ length: c.branches }, (_, i) => `b${i}`);
      const keys = ids.flatMap((id) => opsOf(mode).map((op) => opKey(id, op)));
      const unlucky = fc.constantFrom<Scripted>(
        'error',
        'timeout',
        'failure',
        'ongoing',
        'success',
      );
      return repliesArb(keys, unlucky, 6).map((replies) => ({ c, ids, replies }));
    })
    .map(({ c, ids, replies }) => ({
      spec: newTransaction(
        mode,
        [],
        testOptions({ retry: { maxAttempts: c.maxAttempts, firstDelayMs: 100 } }),
      ),
      replies,
      externals: [
        ...ids.map((id) => ({ at: 0, event: registerEvent(id, 0, opsOf(mode)) })),
        { at: 0, event: c.decision },
        ...c.operator.map((o, i) => ({ at: o.at, event: extraEvent(mode, o.kind, i, ids.length) })),
      ],
      latencies: c.latencies,
      seed: c.seed,
    }));

function extraEvent(mode: TwoPhaseMode, kind: Extra, i: number, branches: number): MachineEvent {
  const known = branches > 0 ? `b${i % branches}` : `late${i}`;
  switch (kind) {
    case 'submit':
      return { type: 'submit' };
    case 'abort':
      return { type: 'abort', reason: 'client aborted again' };
    case 'retry':
      return { type: 'retry' };
    case 'resolve-succeeded':
      return { type: 'resolve', status: 'succeeded', reason: 'fixed by hand' };
    case 'resolve-failed':
      return { type: 'resolve', status: 'failed', reason: 'written off' };
    case 'register-again':
      return registerEvent(known, 0, opsOf(mode));
    case 'register-conflict':
      return registerEvent(known, 1, opsOf(mode));
    case 'register-late':
      return registerEvent(`late${i}`, 0, opsOf(mode));
  }
}

/** An idempotent repeat behaves exactly like a plain wake. */
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

/** Client and operator events, each checked against the rules of the protocol. */
function checkEvents(run: SimResult): void {
  for (const s of run.driver.steps) {
    const { before, event, decision, now } = s;
    const from = before.tx.status;
    const to = decision.state.tx.status;
    switch (event.type) {
      case 'register': {
        const existing = event.ops.map((o) => findOp(before.ops, o.branchId, o.op));
        const differs = event.ops.some((o, i) => {
          const e = existing[i];
          return e !== undefined && (e.url !== o.url || e.payload !== o.payload);
        });
        if (differs) assertRejected(s, 'BRANCH_CONFLICT');
        else if (existing.every((e) => e !== undefined)) {
          assert.equal(decision.rejection, null, 'same registration again is a no-op');
          assert.equal(decision.state.ops.length, before.ops.length);
        } else if (from === 'prepared') {
          assert.equal(decision.rejection, null);
          assert.equal(decision.state.ops.length, before.ops.length + 2);
        } else assertRejected(s, 'INVALID_STATE');
        break;
      }
      case 'submit':
        if (from === 'prepared') assert.ok(to === 'submitted' || to === 'succeeded');
        else if (from === 'submitted' || from === 'succeeded') assertLikeWake(s);
        else assertRejected(s, 'INVALID_STATE');
        break;
      case 'abort':
        if (from === 'prepared') {
          assert.ok(to === 'aborting' || to === 'failed');
          assert.equal(decision.state.tx.reason, event.reason);
        } else if (from === 'aborting' || from === 'failed') assertLikeWake(s);
        else assertRejected(s, 'INVALID_STATE');
        break;
      case 'resolve':
      case 'retry':
        if (isTerminal(from)) assertRejected(s, 'INVALID_STATE');
        else assert.equal(decision.rejection, null);
        break;
      case 'wake':
      case 'result': {
        if (from !== 'prepared') break;
        // The prepared timeout aborts; nothing else moves a prepared tcc by itself.
        const timedOut = before.tx.deadlineAt !== null && now >= before.tx.deadlineAt;
        assert.ok(timedOut ? to === 'aborting' || to === 'failed' : to === 'prepared');
        break;
      }
    }
  }
}

function checkTwoPhaseRun(mode: TwoPhaseMode, run: SimResult): void {
  const [forwardOp, backwardOp] = opsOf(mode);
  const { driver, end } = run;
  const { steps, calls, replies, state: final } = driver;
  assert.notEqual(end, 'step-limit', 'the run did not end');
  checkEvents(run);

  const leave = steps.find((s) => s.decision.state.tx.status !== 'prepared');
  // Branches registered up to (and including) the transition that left `prepared`.
  const registered = (leave?.decision.state ?? final).ops
    .filter((o) => o.op === forwardOp)
    .map((o) => o.branchId)
    .sort();
  const resolved = steps.some((s) => s.event.type === 'resolve' && s.decision.rejection === null);
  // Nothing is called while prepared.
  for (const c of calls) assert.notEqual(c.status, 'prepared');
  for (const c of calls)
    assert.ok(registered.includes(c.branchId), `${c.key} was never registered`);

  if (!leave) {
    assert.equal(final.tx.deadlineAt, null, `a prepared ${mode} with a timeout must time out`);
    assert.equal(end, 'waiting');
    return;
  }
  if (leave.event.type === 'resolve') {
    assert.equal(calls.length, 0);
    return;
  }
  const forward = leave.event.type === 'submit';
  const [mine, other] = forward ? [forwardOp, backwardOp] : [backwardOp, forwardOp];
  assert.ok(
    calls.every((c) => c.op === mine),
    `${forward ? 'submitted' : 'aborted'} ${mode} called ${other}`,
  );
  if (resolved) return;
  if (end === 'parked') {
    const stuck = final.ops.filter((o) => o.op === mine && o.failures >= budgetOf(final, o));
    assert.ok(stuck.length > 0, 'parked without an exhausted op');
    return;
  }
  assert.equal(end, 'terminal');
  assert.equal(final.tx.status, forward ? 'succeeded' : 'failed');
  // Every registered branch got its confirm (or cancel) through, each exactly until success.
  for (const id of registered) {
    const key = opKey(id, mine);
    assert.equal(findOp(final.ops, id, mine)?.status, 'succeeded');
    const successes = replies.filter((r) => r.key === key && r.reply === 'success');
    assert.equal(successes.length, 1, `${key} succeeded ${successes.length} times`);
  }
}

for (const mode of ['tcc', 'xa'] as const) {
  const [forwardOp, backwardOp] = opsOf(mode);
  describe(`${mode} state machine (properties)`, () => {
    it(`submit runs ${forwardOp}, abort and timeout run ${backwardOp}, on every registered branch; client and operator events obey the protocol`, () => {
      fc.assert(
        fc.property(twoPhaseCase(mode), (c) => {
          checkTwoPhaseRun(mode, simulate(c));
        }),
        FC_OPTIONS,
      );
    });

    it('resolve and retry at any moment: resolved stays resolved, late replies park nothing, retry resumes', () => {
      fc.assert(
        fc.property(operatorCase(mode), (c) => {
          checkTwoPhaseRun(mode, simulate(c));
        }),
        FC_OPTIONS,
      );
    });
  });
}
