/**
 * Every mode walked through the rules table: the rules hang together, and the machine
 * does what each rule says (no mode name is tested anywhere else in the machine).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODES } from '../protocol.js';
import { Driver } from '../../test-support/machine/driver.js';
import {
  newTransaction,
  registerEvent,
  step,
  testOptions,
} from '../../test-support/machine/fixtures.js';
import { modesWhere, registeredOps, rulesOf } from './mode-rules.js';

const T0 = 1_700_000_000_000;

/** A transaction of `mode` with one step (ignored by modes that register branches). */
function driverOf(mode: (typeof MODES)[number], timeoutMs: number | null = null): Driver {
  const steps = rulesOf(mode).registersBranches ? [] : [step('a')];
  return Driver.create(newTransaction(mode, steps, testOptions({ timeoutMs })), T0);
}

describe('mode rules', () => {
  for (const mode of MODES) {
    const rules = rulesOf(mode);

    it(`${mode}: the rules hang together`, () => {
      if (rules.registersBranches) {
        assert.ok(rules.startsPrepared, 'registering needs a prepared phase');
        assert.deepEqual(registeredOps(mode), [rules.forward, rules.backward]);
      } else {
        assert.equal(registeredOps(mode), null);
      }
      if (rules.onPreparedTimeout !== null || rules.abortTo !== null) {
        assert.ok(rules.startsPrepared, 'only prepared transactions time out or abort');
      }
      if (rules.abortTo === 'aborting') assert.notEqual(rules.backward, null);
      if (rules.backwardOrder === 'reverse-dependencies') assert.ok(rules.stepsCompensate);
      if (rules.stepsCompensate) assert.notEqual(rules.backward, null);
      if (rules.deadlineWhileSubmitted) assert.ok(!rules.startsPrepared);
      if (rules.forwardRefusable) assert.notEqual(rules.backward, null, 'a refusal must undo');
      if (rules.createdThrough === 'notifications') assert.ok(!rules.startsPrepared);
    });

    it(`${mode}: created ${rules.startsPrepared ? 'prepared' : 'submitted'}, with ${rules.stepsCompensate ? '' : 'no '}step compensations`, () => {
      const d = driverOf(mode);
      assert.equal(d.state.tx.status, rules.startsPrepared ? 'prepared' : 'submitted');
      const compensations = d.state.ops.filter((o) => o.op === 'compensate');
      assert.equal(compensations.length, rules.stepsCompensate ? 1 : 0);
    });

    it(`${mode}: a passed deadline ${rules.deadlineWhileSubmitted ? 'aborts' : 'is ignored'} once submitted`, () => {
      const d = driverOf(mode, 5_000);
      if (rules.registersBranches) d.apply(registerEvent('b1', 0, registeredOps(mode)!));
      if (rules.startsPrepared) d.apply({ type: 'submit' });
      assert.equal(d.state.tx.status, 'submitted');
      d.now = T0 + 10_000;
      d.apply({ type: 'wake' });
      if (rules.deadlineWhileSubmitted) {
        assert.ok(['aborting', 'failed'].includes(d.state.tx.status), d.state.tx.status);
        assert.equal(d.state.tx.reason, `${mode} timed out`);
      } else {
        assert.equal(d.state.tx.status, 'submitted');
      }
    });

    if (rules.startsPrepared) {
      it(`${mode}: a passed deadline while prepared ${rules.onPreparedTimeout ?? 'does nothing'}`, () => {
        const d = driverOf(mode, 5_000);
        d.now = T0 + 10_000;
        const decision = d.apply({ type: 'wake' });
        if (rules.onPreparedTimeout === 'check') {
          assert.equal(d.state.tx.status, 'prepared');
          assert.deepEqual(
            decision.dispatch.map((o) => o.op),
            ['check'],
          );
        } else if (rules.onPreparedTimeout === 'abort') {
          assert.notEqual(d.state.tx.status, 'prepared');
        }
      });
    }
  }

  it('lists the modes a rule holds for', () => {
    assert.deepEqual(
      modesWhere((r) => r.stepsCompensate),
      ['saga'],
    );
    assert.deepEqual(
      modesWhere((r) => r.allowsBrokerTargets),
      ['msg', 'notify'],
    );
  });
});
