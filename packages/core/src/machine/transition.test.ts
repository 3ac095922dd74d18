import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECK_BRANCH_ID, opKey } from '../protocol.js';
import { Driver } from '../../test-support/machine/driver.js';
import {
  CHECK_URL,
  newTransaction,
  registerEvent,
  step,
  testOptions,
} from '../../test-support/machine/fixtures.js';
import type { Decision } from './types.js';

const T0 = 1_700_000_000_000;
/** Options with no jitter, so retry times are exact. */
const exact = (extra: Parameters<typeof testOptions>[0] = {}): ReturnType<typeof testOptions> =>
  testOptions({ ...extra, retry: { jitter: 0, firstDelayMs: 1_000, ...extra.retry } });

const keys = (d: Decision) => d.dispatch.map((o) => opKey(o.branchId, o.op));

function saga(steps = [step('a'), step('b'), step('c')], options = exact()): Driver {
  return Driver.create(newTransaction('saga', steps, options), T0);
}

describe('saga transitions', () => {
  it('runs steps in order and succeeds', () => {
    const d = saga();
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action']);
    assert.deepEqual(keys(d.reply('a', 'action', 'success')), ['b:action']);
    assert.deepEqual(keys(d.reply('b', 'action', 'success')), ['c:action']);
    const last = d.reply('c', 'action', 'success');
    assert.deepEqual(keys(last), []);
    assert.equal(d.state.tx.status, 'succeeded');
    assert.equal(d.state.tx.finishedAt, T0);
    assert.equal(d.state.tx.nextAttemptAt, null);
    assert.deepEqual(
      last.attempts.map((a) => [a.branchId, a.op, a.attempt, a.outcome]),
      [['c', 'action', 1, 'success']],
    );
  });

  it('a refused step aborts: it and every started step are compensated, last first', () => {
    const d = saga();
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'success');
    const refused = d.reply('b', 'action', 'failure');
    assert.equal(d.state.tx.status, 'aborting');
    assert.match(d.state.tx.reason ?? '', /action of branch b refused: HTTP 409/);
    // b's action may have half-applied: it is undone first; a waits for it; c never ran.
    assert.deepEqual(keys(refused), ['b:compensate']);
    assert.deepEqual(keys(d.reply('b', 'compensate', 'success')), ['a:compensate']);
    d.reply('a', 'compensate', 'success');
    assert.equal(d.state.tx.status, 'failed');
    assert.equal(d.op('c', 'compensate').attempts, 0);
  });

  it('skips the compensation of a step that has none, keeping the order through it', () => {
    const d = saga([step('a'), step('b', { compensate: false }), step('c')]);
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'success');
    d.reply('b', 'action', 'success');
    // c is undone before a although b, between them, has nothing to undo.
    assert.deepEqual(keys(d.reply('c', 'action', 'failure')), ['c:compensate']);
    assert.deepEqual(keys(d.reply('c', 'compensate', 'error')), [], 'a waits for c');
    d.now += 1_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['c:compensate']);
    assert.deepEqual(keys(d.reply('c', 'compensate', 'success')), ['a:compensate']);
    d.reply('a', 'compensate', 'success');
    assert.equal(d.state.tx.status, 'failed');
  });

  it('orders compensations through a wide DAG of steps without compensation, quickly', () => {
    // 2 steps per layer, each depending on both steps of the layer before: 2^30 paths.
    const steps = [step('root')];
    for (let layer = 0; layer < 30; layer++) {
      const before = layer === 0 ? ['root'] : [`l${layer - 1}a`, `l${layer - 1}b`];
      for (const side of ['a', 'b']) {
        steps.push(step(`l${layer}${side}`, { compensate: false, dependsOn: before }));
      }
    }
    steps.push(step('last', { dependsOn: ['l29a', 'l29b'] }));
    const d = saga(steps, exact({ concurrent: true }));
    d.apply({ type: 'wake' });
    for (const s of steps.slice(0, -1)) d.reply(s.id, 'action', 'success');
    assert.deepEqual(keys(d.reply('last', 'action', 'failure')), ['last:compensate']);
    assert.deepEqual(keys(d.reply('last', 'compensate', 'success')), ['root:compensate']);
  });

  it('concurrent steps: a compensation waits for its own action still in flight', () => {
    const d = saga([step('a'), step('b'), step('c')], exact({ concurrent: true }));
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action', 'b:action', 'c:action']);
    assert.deepEqual(keys(d.reply('b', 'action', 'failure')), ['b:compensate']);
    assert.deepEqual(keys(d.reply('a', 'action', 'success')), ['a:compensate']);
    d.reply('b', 'compensate', 'success');
    d.reply('a', 'compensate', 'success');
    assert.equal(d.state.tx.status, 'aborting', 'c still in flight');
    assert.deepEqual(keys(d.reply('c', 'action', 'ongoing')), ['c:compensate']);
    d.reply('c', 'compensate', 'success');
    assert.equal(d.state.tx.status, 'failed');
  });

  it('a DAG runs independent steps together and undoes dependents first', () => {
    const d = saga([step('a'), step('b'), step('c', { dependsOn: ['a', 'b'] })]);
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action', 'b:action']);
    assert.deepEqual(keys(d.reply('a', 'action', 'success')), []);
    assert.deepEqual(keys(d.reply('b', 'action', 'success')), ['c:action']);
    assert.deepEqual(keys(d.reply('c', 'action', 'failure')), ['c:compensate']);
    assert.deepEqual(keys(d.reply('c', 'compensate', 'success')), ['a:compensate', 'b:compensate']);
  });

  it('retries an unknown outcome with exponential backoff, then aborts past the budget', () => {
    const d = saga([step('a', { maxAttempts: 3 }), step('b')]);
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'error');
    assert.equal(d.op('a', 'action').nextAttemptAt, T0 + 1_000);
    assert.equal(d.state.tx.nextAttemptAt, T0 + 1_000);
    assert.deepEqual(keys(d.apply({ type: 'wake' })), [], 'not before its time');
    d.now = T0 + 1_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action']);
    d.reply('a', 'action', 'timeout');
    assert.equal(d.op('a', 'action').nextAttemptAt, T0 + 3_000);
    assert.deepEqual(d.op('a', 'action').lastError, {
      httpStatus: null,
      message: 'request timed out',
      at: T0 + 1_000,
    });
    d.now = T0 + 3_000;
    d.apply({ type: 'wake' });
    assert.deepEqual(keys(d.reply('a', 'action', 'error')), ['a:compensate']);
    assert.equal(d.state.tx.status, 'aborting');
    assert.match(d.state.tx.reason ?? '', /failed 3 times in a row; last: HTTP 500/);
  });

  it('an ONGOING reply is retried after the fixed interval and does not count', () => {
    const d = saga([step('a')], exact({ retry: { ongoingDelayMs: 250, maxAttempts: 1 } }));
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'ongoing');
    d.now += 250;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action']);
    d.reply('a', 'action', 'ongoing');
    assert.equal(d.op('a', 'action').failures, 0);
    assert.equal(d.op('a', 'action').nextAttemptAt, T0 + 500);
    assert.equal(d.state.tx.status, 'submitted');
  });

  it('a held call gives its attempt back and waits, with no failure and no history', () => {
    const d = saga([step('a')], exact({ retry: { maxAttempts: 1 } }));
    d.apply({ type: 'wake' });
    for (let round = 1; round <= 3; round++) {
      const held = d.apply({
        type: 'held',
        branchId: 'a',
        op: 'action',
        attempt: 1,
        until: d.now + 500,
      });
      assert.deepEqual(keys(held), [], 'not called again before it is due');
      assert.deepEqual(held.attempts, []);
      assert.deepEqual(
        [d.op('a', 'action').attempts, d.op('a', 'action').failures, d.op('a', 'action').status],
        [0, 0, 'pending'],
      );
      assert.equal(d.state.tx.nextAttemptAt, d.now + 500);
      d.now += 500;
      assert.deepEqual(keys(d.apply({ type: 'wake' })), ['a:action'], `round ${round}`);
    }
    // A budget of one attempt is still whole: the call that finally goes out succeeds.
    d.reply('a', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
    assert.equal(d.op('a', 'action').attempts, 1);
  });

  it('times out: no more actions, compensation once the in-flight action answers', () => {
    const d = saga([step('a'), step('b')], exact({ timeoutMs: 5_000 }));
    assert.equal(d.state.tx.deadlineAt, T0 + 5_000);
    d.apply({ type: 'wake' });
    d.now = T0 + 5_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), []);
    assert.equal(d.state.tx.status, 'aborting');
    assert.equal(d.state.tx.reason, 'saga timed out');
    assert.equal(d.state.tx.deadlineAt, null);
    assert.deepEqual(keys(d.reply('a', 'action', 'success')), ['a:compensate']);
  });

  it('succeeds when the last reply lands exactly on the deadline (nothing left to time out)', () => {
    const d = saga([step('a')], exact({ timeoutMs: 5_000 }));
    d.apply({ type: 'wake' });
    d.now = T0 + 5_000;
    d.reply('a', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
  });

  it('cannot be aborted by its client; submit is a no-op', () => {
    const d = saga();
    d.apply({ type: 'wake' });
    const abort = d.apply({ type: 'abort', reason: 'x' });
    assert.equal(abort.rejection?.code, 'INVALID_STATE');
    assert.equal(d.apply({ type: 'submit' }).rejection, null);
    assert.equal(d.state.tx.status, 'submitted');
  });

  it('parks when a compensation exhausts its budget (409 counts), until an operator acts', () => {
    const d = saga([step('a')], exact({ retry: { maxAttempts: 2 } }));
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'failure');
    d.reply('a', 'compensate', 'failure');
    assert.equal(d.state.tx.parked, false);
    d.now += 1_000;
    d.apply({ type: 'wake' });
    const parked = d.reply('a', 'compensate', 'error');
    assert.equal(d.state.tx.parked, true);
    assert.equal(d.state.tx.status, 'aborting');
    assert.equal(d.state.tx.nextAttemptAt, null);
    assert.deepEqual(parked.alerts, [
      {
        kind: 'parked',
        gid: 'g1',
        branchId: 'a',
        op: 'compensate',
        reason: 'compensate of branch a failed 2 times in a row; last: HTTP 500: internal error',
      },
    ]);
    d.now += 3_600_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), [], 'parked: never retried by itself');

    const retry = d.apply({ type: 'retry' });
    assert.deepEqual(keys(retry), ['a:compensate']);
    assert.equal(d.state.tx.parked, false);
    assert.equal(d.op('a', 'compensate').failures, 0);
    assert.deepEqual(
      retry.attempts.map((a) => [a.op, a.message]),
      [['retry', 'operator asked to retry now']],
    );
    d.reply('a', 'compensate', 'success');
    assert.equal(d.state.tx.status, 'failed');
  });

  it('resolve marks a parked transaction terminal by hand, with an audit entry', () => {
    const d = saga([step('a')], exact({ retry: { maxAttempts: 1 } }));
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'failure');
    d.reply('a', 'compensate', 'error');
    assert.equal(d.state.tx.parked, true);
    const resolve = d.apply({ type: 'resolve', status: 'failed', reason: 'refunded by phone' });
    assert.equal(d.state.tx.status, 'failed');
    assert.equal(d.state.tx.parked, false);
    assert.equal(d.state.tx.reason, 'resolved by operator: refunded by phone');
    assert.deepEqual(
      resolve.attempts.map((a) => [a.op, a.message]),
      [['resolve', 'failed: refunded by phone']],
    );
    assert.equal(
      d.apply({ type: 'resolve', status: 'succeeded', reason: 'again' }).rejection?.code,
      'INVALID_STATE',
    );
    assert.equal(d.apply({ type: 'retry' }).rejection?.code, 'INVALID_STATE');
  });

  it('pause stops driving until resume, which makes waiting retries due at once', () => {
    const d = saga([step('a'), step('b')]);
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'error');
    const waitingUntil = d.op('a', 'action').nextAttemptAt;
    assert.equal(waitingUntil, T0 + 1_000);

    const pause = d.apply({ type: 'pause', reason: 'participant down', actor: 'alice' });
    assert.equal(d.state.tx.paused, true);
    assert.deepEqual(
      pause.attempts.map((a) => [a.op, a.message, a.actor]),
      [['pause', 'participant down', 'alice']],
    );
    const status = d.state.tx.status;
    d.now += 3_600_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), [], 'paused: nothing is called');
    assert.equal(d.state.tx.status, status, 'nor does it time out or move on');
    assert.equal(d.op('a', 'action').failures, 1, 'the failure count is kept');

    const resume = d.apply({ type: 'resume', reason: 'back up', actor: 'bob' });
    assert.equal(d.state.tx.paused, false);
    assert.deepEqual(keys(resume), ['a:action'], 'the waiting retry is called at once');
    assert.deepEqual(
      resume.attempts.map((a) => [a.op, a.message, a.actor]),
      [['resume', 'back up', 'bob']],
    );
    d.reply('a', 'action', 'success');
    d.reply('b', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
  });

  it('pause and resume are idempotent, and refused on a terminal transaction', () => {
    const d = saga([step('a')]);
    d.apply({ type: 'pause', reason: 'hold' });
    const again = d.apply({ type: 'pause', reason: 'hold again' });
    assert.equal(again.rejection, null);
    assert.deepEqual(again.attempts, [], 'a second pause records nothing');
    assert.deepEqual(keys(d.apply({ type: 'wake' })), [], 'a paused new saga starts nothing');
    assert.deepEqual(keys(d.apply({ type: 'resume', reason: 'go' })), ['a:action']);
    const twice = d.apply({ type: 'resume', reason: 'go again' });
    assert.equal(twice.rejection, null);
    assert.deepEqual([twice.attempts, keys(twice)], [[], []]);
    d.reply('a', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
    assert.equal(d.apply({ type: 'pause', reason: 'late' }).rejection?.code, 'INVALID_STATE');
    assert.equal(d.apply({ type: 'resume', reason: 'late' }).rejection?.code, 'INVALID_STATE');
  });

  it('resolve ends a paused transaction and clears the pause', () => {
    const d = saga([step('a')]);
    d.apply({ type: 'pause', reason: 'hold', actor: 'alice' });
    d.apply({ type: 'resolve', status: 'failed', reason: 'cancelled by phone', actor: 'bob' });
    assert.equal(d.state.tx.status, 'failed');
    assert.equal(d.state.tx.paused, false);
  });

  it('ignores a stale or duplicate reply', () => {
    const d = saga();
    d.apply({ type: 'wake' });
    d.reply('a', 'action', 'success');
    const before = d.state;
    const stale = d.reply('a', 'action', 'failure');
    assert.equal(stale.changed, false);
    assert.deepEqual(stale.attempts, []);
    assert.deepEqual(stale.state.ops, before.ops);
    assert.equal(d.reply('b', 'compensate', 'success').changed, false, 'never dispatched');
  });
});

function tcc(options = exact({ timeoutMs: 10_000 })): Driver {
  return Driver.create(newTransaction('tcc', [], options), T0);
}

describe('tcc transitions', () => {
  it('submit confirms every registered branch, never cancels', () => {
    const d = tcc();
    assert.equal(d.apply(registerEvent('x')).rejection, null);
    assert.equal(d.apply(registerEvent('y')).rejection, null);
    assert.equal(d.state.tx.nextAttemptAt, T0 + 10_000, 'woken at the prepared timeout');
    assert.deepEqual(keys(d.apply({ type: 'submit' })), ['x:confirm', 'y:confirm']);
    assert.equal(d.state.tx.deadlineAt, null);
    d.reply('x', 'confirm', 'success');
    d.reply('y', 'confirm', 'failure'); // 409 on a confirm: an error, retried
    assert.equal(d.state.tx.status, 'submitted');
    d.now += 1_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['y:confirm']);
    d.reply('y', 'confirm', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
    assert.ok(d.calls.every((c) => c.op === 'confirm'));
  });

  it('abort cancels every registered branch, never confirms', () => {
    const d = tcc();
    d.apply(registerEvent('x'));
    assert.deepEqual(keys(d.apply({ type: 'abort', reason: 'try failed' })), ['x:cancel']);
    assert.equal(d.state.tx.reason, 'try failed');
    d.reply('x', 'cancel', 'success');
    assert.equal(d.state.tx.status, 'failed');
  });

  it('a prepared tcc past its timeout is aborted by the coordinator', () => {
    const d = tcc();
    d.apply(registerEvent('x'));
    d.now = T0 + 9_999;
    assert.equal(d.apply({ type: 'wake' }).state.tx.status, 'prepared');
    d.now = T0 + 10_000;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), ['x:cancel']);
    assert.equal(d.state.tx.reason, 'timed out while prepared');
  });

  it('without a timeout waits for its client forever (nextAttemptAt null)', () => {
    const d = tcc(exact({ timeoutMs: null }));
    d.apply(registerEvent('x'));
    assert.equal(d.state.tx.nextAttemptAt, null);
    d.now += 1e9;
    assert.equal(d.apply({ type: 'wake' }).state.tx.status, 'prepared');
  });

  it('submit and abort are idempotent, and exclusive', () => {
    const a = tcc();
    a.apply(registerEvent('x'));
    a.apply({ type: 'abort', reason: 'r' });
    assert.equal(a.apply({ type: 'abort', reason: 'again' }).rejection, null);
    assert.equal(a.state.tx.reason, 'r');
    const submit = a.apply({ type: 'submit' });
    assert.equal(submit.rejection?.code, 'INVALID_STATE');
    assert.match(
      submit.rejection?.message ?? '',
      /cannot submit a tcc transaction that is aborting/,
    );

    const s = tcc();
    s.apply(registerEvent('x'));
    s.apply({ type: 'submit' });
    assert.equal(s.apply({ type: 'submit' }).rejection, null);
    assert.deepEqual(keys(s.apply({ type: 'submit' })), [], 'confirm already in flight');
    assert.equal(s.apply({ type: 'abort', reason: 'late' }).rejection?.code, 'INVALID_STATE');
    s.reply('x', 'confirm', 'success');
    assert.equal(s.apply({ type: 'submit' }).rejection, null);
    assert.equal(s.apply({ type: 'abort', reason: 'late' }).rejection?.code, 'INVALID_STATE');
  });

  it('with no branches, submit succeeds and abort fails at once', () => {
    assert.equal(tcc().apply({ type: 'submit' }).state.tx.status, 'succeeded');
    assert.equal(tcc().apply({ type: 'abort', reason: 'r' }).state.tx.status, 'failed');
  });

  it('registration: same body is a no-op, a different body conflicts, none after submit', () => {
    const d = tcc();
    d.apply(registerEvent('x'));
    const again = d.apply(registerEvent('x'));
    assert.equal(again.rejection, null);
    assert.equal(again.state.ops.length, 2);
    assert.equal(again.changed, false);
    const conflict = d.apply(registerEvent('x', 1));
    assert.equal(conflict.rejection?.code, 'BRANCH_CONFLICT');
    assert.equal(d.state.ops.length, 2);
    d.apply({ type: 'submit' });
    assert.equal(d.apply(registerEvent('y')).rejection?.code, 'INVALID_STATE');
    assert.equal(
      d.apply(registerEvent('x')).rejection,
      null,
      'a retried registration still answers',
    );
    assert.equal(d.apply(registerEvent('x', 2)).rejection?.code, 'BRANCH_CONFLICT');
  });

  it('registered ops are numbered in registration order', () => {
    const d = tcc();
    d.apply(registerEvent('x'));
    d.apply(registerEvent('y'));
    assert.deepEqual(
      d.state.ops.map((o) => [o.branchId, o.op, o.seq]),
      [
        ['x', 'confirm', 0],
        ['x', 'cancel', 0],
        ['y', 'confirm', 1],
        ['y', 'cancel', 1],
      ],
    );
  });

  it('only tcc takes branch registrations', () => {
    const d = saga();
    assert.equal(d.apply(registerEvent('x')).rejection?.code, 'INVALID_STATE');
  });

  it('a reply that lands after an operator resolved the transaction parks nothing', () => {
    const d = tcc(exact({ retry: { maxAttempts: 1 } }));
    d.apply(registerEvent('x'));
    d.apply(registerEvent('y'));
    d.apply({ type: 'abort', reason: 'r' });
    d.reply('x', 'cancel', 'error');
    assert.equal(d.state.tx.parked, true);
    // y's cancel is still out when the operator gives up on the transaction.
    d.apply({ type: 'resolve', status: 'failed', reason: 'cancelled by hand' });
    const late = d.reply('y', 'cancel', 'error');
    assert.deepEqual(late.alerts, []);
    assert.equal(d.state.tx.parked, false);
    assert.equal(d.state.tx.reason, 'resolved by operator: cancelled by hand');
  });
});

function msg(options = exact({ timeoutMs: 10_000 })): Driver {
  return Driver.create(
    newTransaction(
      'msg',
      [step('a', { compensate: false }), step('b', { compensate: false })],
      options,
    ),
    T0,
  );
}

describe('msg transitions', () => {
  it('is prepared until submitted, then delivers each step until it succeeds', () => {
    const d = msg();
    assert.deepEqual(
      d.state.ops.map((o) => o.op),
      ['action', 'action'],
      'msg never compensates',
    );
    assert.deepEqual(keys(d.apply({ type: 'wake' })), []);
    assert.deepEqual(keys(d.apply({ type: 'submit' })), ['a:action']);
    d.reply('a', 'action', 'failure'); // a 409 delivery is retried, never aborts
    assert.equal(d.state.tx.status, 'submitted');
    assert.equal(d.op('a', 'action').status, 'pending');
    d.now += 1_000;
    d.apply({ type: 'wake' });
    assert.deepEqual(keys(d.reply('a', 'action', 'success')), ['b:action']);
    d.reply('b', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
  });

  it('abort while prepared fails it without delivering anything', () => {
    const d = msg();
    const abort = d.apply({ type: 'abort', reason: 'local rollback' });
    assert.deepEqual(keys(abort), []);
    assert.equal(d.state.tx.status, 'failed');
    assert.equal(d.apply({ type: 'abort', reason: 'again' }).rejection, null);
    assert.equal(d.apply({ type: 'submit' }).rejection?.code, 'INVALID_STATE');
  });

  it('past its timeout asks the producer; committed → delivered', () => {
    const d = msg();
    d.now = T0 + 10_000;
    const wake = d.apply({ type: 'wake' });
    assert.deepEqual(
      wake.dispatch.map((o) => [o.branchId, o.op, o.url, o.payload]),
      [[CHECK_BRANCH_ID, 'check', CHECK_URL, '']],
    );
    assert.deepEqual(keys(d.reply(CHECK_BRANCH_ID, 'check', 'success')), ['a:action']);
    assert.equal(d.state.tx.status, 'submitted');
  });

  it('check-back 409 (not committed) fails the message', () => {
    const d = msg();
    d.now = T0 + 10_000;
    d.apply({ type: 'wake' });
    d.reply(CHECK_BRANCH_ID, 'check', 'failure');
    assert.equal(d.state.tx.status, 'failed');
    assert.equal(d.state.tx.reason, 'check-back: the local transaction did not commit');
  });

  it('an undecided check-back is asked again later, with nextAttemptAt at that time', () => {
    const d = msg(exact({ timeoutMs: 10_000, retry: { ongoingDelayMs: 700 } }));
    d.now = T0 + 10_000;
    d.apply({ type: 'wake' });
    d.reply(CHECK_BRANCH_ID, 'check', 'ongoing');
    assert.equal(d.state.tx.nextAttemptAt, T0 + 10_700);
    d.now = T0 + 10_700;
    assert.deepEqual(keys(d.apply({ type: 'wake' })), [opKey(CHECK_BRANCH_ID, 'check')]);
    d.reply(CHECK_BRANCH_ID, 'check', 'error');
    assert.equal(d.state.tx.nextAttemptAt, T0 + 11_700);
  });

  it('a check-back past its budget parks; the client submit then unparks and delivers', () => {
    const d = msg(exact({ timeoutMs: 10_000, retry: { maxAttempts: 1 } }));
    d.now = T0 + 10_000;
    d.apply({ type: 'wake' });
    const parked = d.reply(CHECK_BRANCH_ID, 'check', 'timeout');
    assert.equal(d.state.tx.parked, true);
    assert.equal(parked.alerts.length, 1);
    assert.deepEqual(keys(d.apply({ type: 'submit' })), ['a:action']);
    assert.equal(d.state.tx.parked, false);
  });

  it('a check-back reply after the client submitted changes nothing', () => {
    const d = msg(exact({ timeoutMs: 10_000, retry: { maxAttempts: 1 } }));
    d.now = T0 + 10_000;
    d.apply({ type: 'wake' });
    d.apply({ type: 'submit' });
    const late = d.reply(CHECK_BRANCH_ID, 'check', 'error');
    assert.deepEqual(late.alerts, []);
    assert.equal(d.state.tx.parked, false);
    assert.equal(d.state.tx.status, 'submitted');
    d.reply('a', 'action', 'success');
    d.reply('b', 'action', 'success');
    assert.equal(d.state.tx.status, 'succeeded');
  });
});
