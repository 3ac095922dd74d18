import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mergeSources, type MergeStep } from './merge.js';
import {
  compareRowKeys,
  decodeKey,
  encodeKey,
  RowShapeError,
  ruleProblems,
  SourceOrderError,
  type ReconcileRules,
  type SourceRow,
} from './rules.js';

const RULES: ReconcileRules = {
  key: [{ field: 'id', type: 'number' }],
  compare: [
    { field: 'amount', type: 'number', tolerance: 0.01 },
    { field: 'status', type: 'string' },
  ],
  reference: 'left',
};

async function* stream(rows: readonly SourceRow[]): AsyncGenerator<SourceRow> {
  for (const row of rows) yield row;
}

async function collect(
  rules: ReconcileRules,
  left: readonly SourceRow[],
  right: readonly SourceRow[],
  after?: readonly (number | string)[],
): Promise<MergeStep[]> {
  const steps: MergeStep[] = [];
  for await (const step of mergeSources(rules, stream(left), stream(right), { after })) {
    steps.push(step);
  }
  return steps;
}

describe('mergeSources', () => {
  it('finds each kind of mismatch and the keys that agree', async () => {
    const steps = await collect(
      RULES,
      [
        { id: 1, amount: '10.00', status: 'paid' },
        { id: 2, amount: 5, status: 'paid' },
        { id: 4, amount: 7, status: 'paid' },
        { id: 5, amount: 1, status: 'paid' },
      ],
      [
        { id: 1, amount: 10.005, status: 'paid' },
        { id: 3, amount: 5, status: 'paid' },
        { id: 4, amount: 7.5, status: 'paid' },
        { id: 5, amount: 1, status: 'refunded' },
      ],
    );
    assert.deepEqual(
      steps.map((s) => [s.kind, s.key[0], 'fields' in s ? s.fields : undefined]),
      [
        ['same', 1, undefined],
        ['missing-right', 2, undefined],
        ['missing-left', 3, undefined],
        ['different', 4, ['amount']],
        ['different', 5, ['status']],
      ],
    );
    const different = steps[3]!;
    assert.ok(different.kind === 'different');
    assert.deepEqual(different.left, { id: 4, amount: 7, status: 'paid' });
    assert.deepEqual(different.right, { id: 4, amount: 7.5, status: 'paid' });
  });

  it('treats null against null as equal and null against a value as different', async () => {
    const steps = await collect(
      RULES,
      [
        { id: 1, amount: null, status: null },
        { id: 2, amount: null, status: 'x' },
      ],
      [
        { id: 1, amount: null, status: undefined },
        { id: 2, amount: 0, status: 'x' },
      ],
    );
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['same', 'different'],
    );
  });

  it('orders composite keys field by field, text in byte order', async () => {
    const rules: ReconcileRules = {
      key: [
        { field: 'merchant', type: 'string' },
        { field: 'seq', type: 'number' },
      ],
      compare: [],
      reference: 'right',
    };
    const steps = await collect(
      rules,
      [
        { merchant: 'B', seq: 2 },
        { merchant: 'a', seq: 1 },
        { merchant: 'a', seq: 10 },
      ],
      [
        { merchant: 'B', seq: '2' },
        { merchant: 'a', seq: 10 },
      ],
    );
    assert.deepEqual(
      steps.map((s) => [s.kind, ...s.key]),
      [
        ['same', 'B', 2],
        ['missing-right', 'a', 1],
        ['same', 'a', 10],
      ],
    );
  });

  it('starts strictly after a checkpoint key', async () => {
    const rows = [1, 2, 3, 4].map((id) => ({ id, amount: 1, status: 's' }));
    const steps = await collect(RULES, rows, rows.slice(0, 2), [2]);
    assert.deepEqual(
      steps.map((s) => [s.kind, s.key[0]]),
      [
        ['missing-right', 3],
        ['missing-right', 4],
      ],
    );
  });

  it('refuses a source out of order or with a repeated key, naming the side', async () => {
    await assert.rejects(
      collect(RULES, [{ id: 1 }], [{ id: 2 }, { id: 1 }]),
      (error: unknown) => error instanceof SourceOrderError && error.side === 'right',
    );
    await assert.rejects(
      collect(RULES, [{ id: 1 }, { id: 1 }], []),
      (error: unknown) => error instanceof SourceOrderError && error.side === 'left',
    );
    // also while skipping rows below a checkpoint
    await assert.rejects(collect(RULES, [{ id: 2 }, { id: 1 }], [], [5]), SourceOrderError);
  });

  it('refuses a row without its key or with a non-integer number key', async () => {
    await assert.rejects(
      collect(RULES, [{ amount: 1 }], []),
      (error: unknown) => error instanceof RowShapeError && /"id" is missing/.test(error.message),
    );
    await assert.rejects(collect(RULES, [], [{ id: 'x' }]), /"id" is not an integer/);
  });

  it('closes both sources when the consumer stops early', async () => {
    const closed: string[] = [];
    async function* tracked(name: string): AsyncGenerator<SourceRow> {
      try {
        for (let id = 1; ; id += 1) yield { id };
      } finally {
        closed.push(name);
      }
    }
    for await (const step of mergeSources(RULES, tracked('left'), tracked('right'))) {
      if (step.key[0] === 3) break;
    }
    assert.deepEqual(closed.sort(), ['left', 'right']);
  });

  it('agrees with a naive in-memory comparison on any pair of sources', async () => {
    const row = fc.record({
      id: fc.integer({ min: 0, max: 60 }),
      amount: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(null)),
      status: fc.constantFrom('paid', 'refunded'),
    });
    const side = fc
      .uniqueArray(row, { selector: (r) => r.id, maxLength: 40 })
      .map((rows) => rows.sort((a, b) => a.id - b.id));
    await fc.assert(
      fc.asyncProperty(
        side,
        side,
        fc.option(fc.integer({ min: 0, max: 60 })),
        async (l, r, after) => {
          const steps = await collect(RULES, l, r, after === null ? undefined : [after]);
          assert.deepEqual(
            steps.map((s) => `${s.kind}:${s.key[0]}`),
            naive(l, r, after ?? -1),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses constant memory: rows pass through one at a time, never a side whole', async () => {
    let inFlight = 0;
    let peak = 0;
    async function* counted(n: number): AsyncGenerator<SourceRow> {
      for (let id = 0; id < n; id += 1) {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        yield { id, amount: 1, status: 's' };
      }
    }
    let steps = 0;
    for await (const step of mergeSources(RULES, counted(50_000), counted(50_000))) {
      inFlight -= step.kind === 'same' ? 2 : 1;
      steps += 1;
    }
    assert.equal(steps, 50_000);
    assert.ok(peak <= 4, `at most one row ahead on each side (peak ${peak})`);
  });
});

describe('keys and rules', () => {
  it('round-trips an encoded key and orders numbers numerically', () => {
    assert.deepEqual(decodeKey(encodeKey(['a', 2])), ['a', 2]);
    assert.ok(compareRowKeys([9], [10]) < 0);
    assert.ok(compareRowKeys(['9'], ['10']) > 0);
    assert.throws(() => decodeKey('{"x":1}'), /not an encoded key/);
  });

  it('names each problem of unsound rules', () => {
    assert.deepEqual(ruleProblems(RULES), []);
    assert.deepEqual(
      ruleProblems({
        key: [],
        compare: [
          { field: 'a', type: 'string', tolerance: 1 },
          { field: 'a', type: 'number' },
        ],
        reference: 'left',
      }),
      [
        'key: at least one key field is required',
        'compare/0: tolerance applies only to number fields',
        'compare/1: "a" is already a key field or compared',
      ],
    );
  });
});

/** The same comparison done the obvious way, everything in memory. */
function naive(
  left: readonly { id: number; amount: number | null; status: string }[],
  right: readonly { id: number; amount: number | null; status: string }[],
  after: number,
): string[] {
  const l = new Map(left.map((row) => [row.id, row]));
  const r = new Map(right.map((row) => [row.id, row]));
  const ids = [...new Set([...l.keys(), ...r.keys()])]
    .filter((id) => id > after)
    .sort((a, b) => a - b);
  return ids.map((id) => {
    const a = l.get(id);
    const b = r.get(id);
    if (a === undefined) return `missing-left:${id}`;
    if (b === undefined) return `missing-right:${id}`;
    return a.amount === b.amount && a.status === b.status ? `same:${id}` : `different:${id}`;
  });
}
