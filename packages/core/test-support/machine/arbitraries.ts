/**
 * Test support (not a test file): fast-check generators shared by the state-machine
 * properties.
 */
import fc from 'fast-check';
import type { RetryPolicy } from '../../src/protocol.js';
import type { StepSpec } from '../../src/machine/create.js';
import { type Scripted, step } from './fixtures.js';

/** Runs per property: enough to find ordering bugs, few enough to stay fast. */
export const RUNS = Number(process.env.ACCORD_PROPERTY_RUNS ?? 200);

/** Options of every `fc.assert` here: {@link RUNS} runs, the failing assertion in the report. */
export const FC_OPTIONS = { numRuns: RUNS, includeErrorInReport: true } as const;

/** Retry policies with small budgets and delays, so runs hit every limit quickly. */
export const policyArb: fc.Arbitrary<RetryPolicy> = fc.record({
  firstDelayMs: fc.integer({ min: 1, max: 1_000 }),
  factor: fc.integer({ min: 1, max: 3 }),
  maxDelayMs: fc.integer({ min: 1, max: 5_000 }),
  jitter: fc.double({ min: 0, max: 0.5, noNaN: true }),
  ongoingDelayMs: fc.integer({ min: 1, max: 500 }),
  maxAttempts: fc.integer({ min: 1, max: 5 }),
});

/** A participant's reply, mostly success. */
export const replyArb: fc.Arbitrary<Scripted> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Scripted>('success') },
  { weight: 1, arbitrary: fc.constant<Scripted>('failure') },
  { weight: 1, arbitrary: fc.constant<Scripted>('ongoing') },
  { weight: 1, arbitrary: fc.constant<Scripted>('error') },
  { weight: 1, arbitrary: fc.constant<Scripted>('timeout') },
);

/** A participant's reply to an op that must succeed: more often unlucky, to reach the budget. */
export const stubbornReplyArb: fc.Arbitrary<Scripted> = fc.constantFrom<Scripted>(
  'success',
  'failure',
  'ongoing',
  'error',
  'timeout',
);

/** How the steps of a saga/msg depend on each other. */
export type Layout = 'sequential' | 'concurrent' | 'dag';

/** Steps `s0..s{n-1}`; in a DAG each step depends on a random subset of earlier ones. */
export function stepsArb(
  layout: Layout,
  options: { maxSteps?: number; compensate?: boolean } = {},
): fc.Arbitrary<StepSpec[]> {
  return fc.integer({ min: 1, max: options.maxSteps ?? 6 }).chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc
          .record({
            compensate: options.compensate === false ? fc.constant(false) : fc.boolean(),
            dependsOn:
              layout === 'dag'
                ? fc.subarray(Array.from({ length: i }, (_unused, j) => `s${j}`))
                : fc.constant(undefined),
            maxAttempts: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
          })
          .map(({ compensate, dependsOn, maxAttempts }) =>
            step(`s${i}`, {
              // Most steps can be undone; some (read-only) cannot.
              compensate: compensate || i % 3 !== 2,
              dependsOn,
              ...(maxAttempts === undefined ? {} : { maxAttempts }),
            }),
          ),
      ),
    ),
  );
}

/** Scripted replies for each key, `length` replies at most. */
export function repliesArb(
  keys: readonly string[],
  reply: fc.Arbitrary<Scripted>,
  maxLength = 4,
): fc.Arbitrary<Record<string, Scripted[]>> {
  return fc
    .tuple(...keys.map(() => fc.array(reply, { maxLength })))
    .map((lists) => Object.fromEntries(keys.map((k, i) => [k, lists[i] ?? []])));
}

/**
 * Latencies of successive calls, ms. On a 50 ms grid (like {@link timeoutArb}) so that
 * replies often land exactly on a deadline, where ordering bugs hide.
 */
export const latenciesArb = fc.array(
  fc.integer({ min: 0, max: 6 }).map((n) => n * 50),
  { minLength: 1, maxLength: 8 },
);

/** A transaction timeout (saga deadline, prepared timeout) or none, on a 50 ms grid. */
export const timeoutArb = fc.option(
  fc.integer({ min: 1, max: 100 }).map((n) => n * 50),
  { nil: null },
);

/** A seed for the jitter source. */
export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
