import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FC_OPTIONS } from '../../test-support/machine/arbitraries.js';
import { checkStepGraph, createSnapshot, effectiveDependencies } from './create.js';
import { newTransaction, step, testOptions } from '../../test-support/machine/fixtures.js';

const T0 = 1_700_000_000_000;

describe('checkStepGraph', () => {
  it('accepts sequential, concurrent and DAG steps', () => {
    assert.deepEqual(checkStepGraph([step('a'), step('b')]), []);
    assert.deepEqual(
      checkStepGraph([step('a'), step('b'), step('c', { dependsOn: ['a', 'b'] })]),
      [],
    );
  });

  it('names duplicate ids, unknown and self dependencies by JSON path', () => {
    assert.deepEqual(checkStepGraph([step('a'), step('b'), step('a')]), [
      { path: '/steps/2/id', message: 'duplicate step id "a"' },
    ]);
    assert.deepEqual(checkStepGraph([step('a'), step('b', { dependsOn: ['a', 'zz'] })]), [
      { path: '/steps/1/dependsOn/1', message: 'unknown step id "zz"' },
    ]);
    assert.deepEqual(checkStepGraph([step('a', { dependsOn: ['a'] })]), [
      { path: '/steps/0/dependsOn/0', message: 'a step cannot depend on itself' },
    ]);
  });

  it('names every step on a cycle, and only those', () => {
    const steps = [
      step('a', { dependsOn: ['c'] }),
      step('b', { dependsOn: ['a'] }),
      step('c', { dependsOn: ['b'] }),
      step('d', { dependsOn: ['a'] }), // depends on the cycle, is not on it
      step('e'),
    ];
    assert.deepEqual(checkStepGraph(steps), [
      { path: '/steps/0/dependsOn', message: 'step "a" is on a dependency cycle' },
      { path: '/steps/1/dependsOn', message: 'step "b" is on a dependency cycle' },
      { path: '/steps/2/dependsOn', message: 'step "c" is on a dependency cycle' },
    ]);
  });

  it('property: no issue for any DAG; for any graph, exactly the steps on a cycle', () => {
    const graph = fc
      .integer({ min: 1, max: 8 })
      .chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 2 * n }),
        ),
      );
    fc.assert(
      fc.property(graph, fc.boolean(), ([n, edges], acyclic) => {
        const deps = Array.from({ length: n }, () => new Set<number>());
        for (const [from, to] of edges) {
          if (from === to || (acyclic && to > from)) continue;
          deps[from]?.add(to);
        }
        const steps = deps.map((d, i) => step(`s${i}`, { dependsOn: [...d].map((j) => `s${j}`) }));
        const reaches = (from: number, target: number, seen = new Set<number>()): boolean => {
          for (const j of deps[from] ?? []) {
            if (j === target) return true;
            if (seen.has(j)) continue;
            seen.add(j);
            if (reaches(j, target, seen)) return true;
          }
          return false;
        };
        const onCycle = steps.flatMap((_, i) => (reaches(i, i) ? [`/steps/${i}/dependsOn`] : []));
        if (acyclic) assert.deepEqual(onCycle, []);
        assert.deepEqual(
          checkStepGraph(steps).map((issue) => issue.path),
          onCycle,
        );
      }),
      FC_OPTIONS,
    );
  });
});

describe('effectiveDependencies', () => {
  const plain = [step('a'), step('b'), step('c')];

  it('sequential: each step waits for the one before it', () => {
    assert.deepEqual(effectiveDependencies(plain, false), [[], ['a'], ['b']]);
  });

  it('concurrent: no step waits', () => {
    assert.deepEqual(effectiveDependencies(plain, true), [[], [], []]);
  });

  it('a DAG uses the declared dependencies only, whatever the concurrent flag', () => {
    const dag = [step('a'), step('b'), step('c', { dependsOn: ['a'] })];
    for (const concurrent of [false, true]) {
      assert.deepEqual(effectiveDependencies(dag, concurrent), [[], [], ['a']]);
    }
    // Empty dependsOn everywhere is not a DAG.
    const empty = plain.map((s) => ({ ...s, dependsOn: [] }));
    assert.deepEqual(effectiveDependencies(empty, false), [[], ['a'], ['b']]);
  });
});

describe('createSnapshot', () => {
  it('a saga starts submitted and due now, with action and compensate ops per step', () => {
    const spec = newTransaction(
      'saga',
      [step('a'), step('b', { compensate: false, maxAttempts: 3 })],
      testOptions({ timeoutMs: 60_000 }),
    );
    const { tx, ops } = createSnapshot(spec, T0);
    assert.equal(tx.status, 'submitted');
    assert.equal(tx.nextAttemptAt, T0);
    assert.equal(tx.deadlineAt, T0 + 60_000);
    assert.deepEqual(
      [tx.parked, tx.reason, tx.finishedAt, tx.leaseOwner, tx.fence],
      [false, null, null, null, 0],
    );
    assert.deepEqual(
      ops.map((o) => [o.branchId, o.op, o.seq, o.dependsOn, o.maxAttempts, o.url]),
      [
        ['a', 'action', 0, [], null, 'http://svc.test/a/action'],
        ['a', 'compensate', 0, [], null, 'http://svc.test/a/compensate'],
        ['b', 'action', 1, ['a'], 3, 'http://svc.test/b/action'],
      ],
    );
    for (const op of ops) {
      assert.deepEqual(
        [op.status, op.attempts, op.failures, op.nextAttemptAt, op.lastError],
        ['pending', 0, 0, T0, null],
      );
    }
  });

  it('tcc and msg start prepared, due at their timeout (or never without one)', () => {
    const msg = createSnapshot(
      newTransaction('msg', [step('a')], testOptions({ timeoutMs: 35_000 })),
      T0,
    );
    assert.equal(msg.tx.status, 'prepared');
    assert.equal(msg.tx.nextAttemptAt, T0 + 35_000);
    assert.equal(msg.tx.checkUrl, 'http://producer.test/check');
    assert.deepEqual(
      msg.ops.map((o) => o.op),
      ['action'],
      'msg never compensates',
    );

    const tcc = createSnapshot(newTransaction('tcc', [], testOptions({ timeoutMs: null })), T0);
    assert.equal(tcc.tx.status, 'prepared');
    assert.equal(tcc.tx.nextAttemptAt, null);
    assert.deepEqual(tcc.ops, []);
  });

  it('created with a lease: claimed by its creator with the first fence', () => {
    const { tx } = createSnapshot(newTransaction('saga', [step('a')]), T0, {
      owner: 'node-1',
      until: T0 + 30_000,
    });
    assert.deepEqual([tx.leaseOwner, tx.leaseUntil, tx.fence], ['node-1', T0 + 30_000, 1]);
  });
});
