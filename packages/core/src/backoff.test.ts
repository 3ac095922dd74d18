import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffDelay, DEFAULT_RETRY_POLICY } from './backoff.js';
import type { RetryPolicy } from './protocol.js';

const RUNS = { numRuns: 200, includeErrorInReport: true } as const;

/** Policies the server accepts (factor an integer 1..10, jitter a fraction). */
const policy = (jitter: fc.Arbitrary<number>): fc.Arbitrary<RetryPolicy> =>
  fc.record({
    firstDelayMs: fc.integer({ min: 1, max: 3_600_000 }),
    factor: fc.integer({ min: 1, max: 10 }),
    maxDelayMs: fc.integer({ min: 1, max: 24 * 3_600_000 }),
    jitter,
    ongoingDelayMs: fc.integer({ min: 1, max: 60_000 }),
    maxAttempts: fc.integer({ min: 1, max: 1_000 }),
  });
const noJitter = policy(fc.constant(0));
const anyJitter = policy(fc.double({ min: 0, max: 1, noNaN: true }));
const failures = fc.integer({ min: 0, max: 5_000 });
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** The delay before jitter. */
const base = (p: RetryPolicy, n: number) =>
  Math.min(p.maxDelayMs, p.firstDelayMs * Math.pow(p.factor, Math.max(0, n - 1)));

describe('backoffDelay', () => {
  it('matches the protocol defaults (1 s, ×2, capped at 5 min, ±20 %, budget 30)', () => {
    assert.deepEqual(DEFAULT_RETRY_POLICY, {
      firstDelayMs: 1_000,
      factor: 2,
      maxDelayMs: 300_000,
      jitter: 0.2,
      ongoingDelayMs: 1_000,
      maxAttempts: 30,
    });
    const exact = { ...DEFAULT_RETRY_POLICY, jitter: 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 9, 10, 100].map((n) => backoffDelay(exact, n, 0.5)),
      [1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000],
    );
  });

  it('without jitter: exponential, monotone in the failure count, capped', () => {
    fc.assert(
      fc.property(noJitter, failures, random, (p, n, r) => {
        const delay = backoffDelay(p, n, r);
        assert.equal(delay, Math.round(base(p, n)));
        assert.ok(delay <= p.maxDelayMs);
        assert.ok(backoffDelay(p, n + 1, r) >= delay);
      }),
      RUNS,
    );
  });

  it('with jitter: within ±jitter of the base, never negative, never above the cap', () => {
    fc.assert(
      fc.property(anyJitter, failures, random, (p, n, r) => {
        const delay = backoffDelay(p, n, r);
        assert.ok(Number.isInteger(delay));
        assert.ok(delay >= 0 && delay <= p.maxDelayMs, `${delay} outside [0, ${p.maxDelayMs}]`);
        const b = base(p, n);
        assert.ok(Math.abs(delay - b) <= b * p.jitter + 0.5, `${delay} too far from ${b}`);
      }),
      RUNS,
    );
  });

  it('spans the whole jitter range as random goes from 0 to 1', () => {
    const p = { ...DEFAULT_RETRY_POLICY, jitter: 0.2 };
    assert.equal(backoffDelay(p, 1, 0), 800);
    assert.equal(backoffDelay(p, 1, 0.5), 1_000);
    assert.equal(backoffDelay(p, 1, 0.999_999), 1_200);
    // The cap holds after jitter too.
    assert.equal(backoffDelay(p, 50, 0.999_999), 300_000);
  });
});
