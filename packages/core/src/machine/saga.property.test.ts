import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { opKey } from '../protocol.js';
import {
  type Layout,
  latenciesArb,
  policyArb,
  repliesArb,
  replyArb,
  FC_OPTIONS,
  seedArb,
  stepsArb,
  stubbornReplyArb,
  timeoutArb,
} from '../../test-support/machine/arbitraries.js';
import { findOp } from './phases.js';
import { budgetOf } from '../../test-support/machine/driver.js';
import { newTransaction, testOptions } from '../../test-support/machine/fixtures.js';
import { type External, simulate, type SimResult } from '../../test-support/machine/simulate.js';
import type { DriveState } from './types.js';

function sagaCase(layout: Layout) {
  return fc
    .record({
      steps: stepsArb(layout),
      retry: policyArb,
      timeoutMs: timeoutArb,
      concurrent: layout === 'dag' ? fc.boolean() : fc.constant(layout === 'concurrent'),
      latencies: latenciesArb,
      seed: seedArb,
      operatorRetryAt: fc.option(fc.integer({ min: 0, max: 30_000 }), { nil: null }),
    })
    .chain((c) =>
      fc.record({
        c: fc.constant(c),
        replies: fc
          .tuple(
            repliesArb(
              c.steps.map((s) => opKey(s.id, 'action')),
              replyArb,
            ),
            repliesArb(
              c.steps.map((s) => opKey(s.id, 'compensate')),
              stubbornReplyArb,
              6,
            ),
          )
          .map(([a, b]) => ({ ...a, ...b })),
      }),
    )
    .map(({ c, replies }) => {
      const spec = newTransaction(
        'saga',
        c.steps,
        testOptions({ retry: c.retry, timeoutMs: c.timeoutMs, concurrent: c.concurrent }),
      );
      const externals: External[] =
        c.operatorRetryAt === null ? [] : [{ at: c.operatorRetryAt, event: { type: 'retry' } }];
      return { spec, replies, externals, latencies: c.latencies, seed: c.seed };
    });
}

/** Steps of the saga whose action was dispatched at least once. */
function startedSteps(state: DriveState): Set<string> {
  return new Set(
    state.ops.filter((o) => o.op === 'action' && o.attempts > 0).map((o) => o.branchId),
  );
}

/** Saga-specific checks over one complete run (the driver checked the general invariants). */
function checkSagaRun(run: SimResult): void {
  const { driver, end } = run;
  const { steps, calls, replies, state: final } = driver;
  assert.ok(end === 'terminal' || end === 'parked', `saga ended ${end}`);
  if (end === 'parked')
    assert.equal(final.tx.status, 'aborting', 'a saga parks only while compensating');

  const depsOf = new Map(
    final.ops.filter((o) => o.op === 'action').map((o) => [o.branchId, o.dependsOn]),
  );
  /** Steps depending on `id`, directly or through others. */
  const dependents = (id: string): Set<string> => {
    const found = new Set<string>();
    const visit = (of: string) => {
      for (const [d, deps] of depsOf) {
        if (deps.includes(of) && !found.has(d)) {
          found.add(d);
          visit(d);
        }
      }
    };
    visit(id);
    return found;
  };
  const hasCompensation = (id: string) => findOp(final.ops, id, 'compensate') !== undefined;
  const succeededAt = (key: string, step: number) =>
    replies.some((r) => r.key === key && r.reply === 'success' && r.step <= step);
  const outstandingAt = (key: string, step: number) =>
    calls.filter((c) => c.key === key && c.step < step).length >
    replies.filter((r) => r.key === key && r.step <= step).length;

  // Status, step by step, from an independent reading of the rules.
  for (const s of steps) {
    const { before, decision, event, now } = s;
    const after = decision.state;
    if (before.tx.status === 'submitted') {
      let refused = false;
      if (
        event.type === 'result' &&
        event.op === 'action' &&
        before.inFlight.has(opKey(event.branchId, 'action'))
      ) {
        const op = findOp(after.ops, event.branchId, 'action');
        assert.ok(op);
        refused =
          event.outcome.kind === 'failure' ||
          (event.outcome.kind === 'error' && op.failures >= budgetOf(after, op));
      }
      const allDone = after.ops
        .filter((o) => o.op === 'action')
        .every((o) => o.status === 'succeeded');
      const timedOut = before.tx.deadlineAt !== null && now >= before.tx.deadlineAt;
      const expected = refused
        ? 'aborting'
        : allDone
          ? 'succeeded'
          : timedOut
            ? 'aborting'
            : 'submitted';
      const actual = after.tx.status === 'failed' ? 'aborting' : after.tx.status; // may finish at once
      assert.equal(actual, expected, `step ${s.index} (${event.type} at ${now})`);
    }
    if (before.tx.status === 'aborting') {
      // failed exactly when every started step is undone and nothing is in flight.
      const done = [...startedSteps(after)].every((id) => {
        const comp = findOp(after.ops, id, 'compensate');
        return !after.inFlight.has(opKey(id, 'action')) && (!comp || comp.status === 'succeeded');
      });
      assert.equal(after.tx.status, done ? 'failed' : 'aborting', `step ${s.index}`);
    }
  }

  const abortStep = steps.findIndex((s) => s.decision.state.tx.status !== 'submitted');
  const aborted = abortStep >= 0 && steps[abortStep]?.decision.state.tx.status !== 'succeeded';
  for (const call of calls) {
    if (call.op === 'action') {
      // Actions never run once the saga aborts, and only after all their dependencies succeeded.
      assert.equal(call.status, 'submitted', `${call.key} dispatched while ${call.status}`);
      for (const dep of depsOf.get(call.branchId) ?? []) {
        assert.ok(
          succeededAt(opKey(dep, 'action'), call.step),
          `${call.key} ran before ${dep} succeeded`,
        );
      }
    } else {
      assert.equal(call.op, 'compensate');
      assert.ok(aborted && call.step >= abortStep, `${call.key} dispatched while not aborting`);
      // Reverse dependency order: every started step after it (transitively, through steps
      // with nothing to undo too) is fully undone first.
      assert.ok(
        !outstandingAt(opKey(call.branchId, 'action'), call.step),
        `${call.key} during its action`,
      );
      for (const d of dependents(call.branchId)) {
        if (!calls.some((c) => c.key === opKey(d, 'action'))) continue;
        assert.ok(!outstandingAt(opKey(d, 'action'), call.step), `${call.key} while ${d} runs`);
        if (hasCompensation(d)) {
          assert.ok(
            succeededAt(opKey(d, 'compensate'), call.step),
            `${call.key} before ${d} was undone`,
          );
        }
      }
    }
  }

  const started = startedSteps(final);
  const compensated = new Set(calls.filter((c) => c.op === 'compensate').map((c) => c.branchId));
  for (const id of compensated)
    assert.ok(started.has(id), `compensated ${id}, which never started`);
  if (final.tx.status === 'succeeded') {
    assert.equal(aborted, false);
    assert.equal(compensated.size, 0);
    assert.ok(final.ops.every((o) => o.op !== 'action' || o.status === 'succeeded'));
  } else if (final.tx.status === 'failed') {
    // Exactly the started steps (the refused one included) were undone, each until success.
    const expected = [...started].filter(hasCompensation).sort();
    assert.deepEqual([...compensated].sort(), expected);
    for (const id of expected)
      assert.equal(findOp(final.ops, id, 'compensate')?.status, 'succeeded');
  } else {
    // Parked: a compensation exhausted its budget and waits for an operator.
    assert.equal(final.tx.parked, true);
    const stuck = final.ops.filter(
      (o) => o.op === 'compensate' && o.failures >= budgetOf(final, o),
    );
    assert.ok(stuck.length > 0, 'parked without an exhausted compensation');
  }
}

describe('saga state machine (properties)', () => {
  for (const layout of ['sequential', 'concurrent', 'dag'] as const) {
    it(`${layout} steps: right outcome, compensation of exactly the started steps in reverse dependency order`, () => {
      fc.assert(
        fc.property(sagaCase(layout), (c) => {
          checkSagaRun(simulate(c));
        }),
        FC_OPTIONS,
      );
    });
  }

  it('a saga whose every action succeeds before its deadline succeeds, calling each action once', () => {
    fc.assert(
      fc.property(stepsArb('dag'), latenciesArb, (steps, latencies) => {
        const run = simulate({
          spec: newTransaction('saga', steps, testOptions({ timeoutMs: null })),
          replies: {},
          latencies,
        });
        assert.equal(run.driver.state.tx.status, 'succeeded');
        assert.deepEqual(
          run.driver.calls.map((c) => c.key).sort(),
          steps.map((s) => opKey(s.id, 'action')).sort(),
        );
      }),
      FC_OPTIONS,
    );
  });
});
