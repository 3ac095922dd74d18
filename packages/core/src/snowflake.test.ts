import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ManualClock } from './clock.js';
import { AccordError } from './errors.js';
import { Snowflake, SNOWFLAKE_EPOCH } from './snowflake.js';

const RUNS = { numRuns: 200, includeErrorInReport: true } as const;
const T0 = Date.UTC(2025, 0, 1);

describe('Snowflake', () => {
  it('ids strictly increase however the clock moves forward', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1023 }),
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.nat(10_000)), {
          maxLength: 300,
        }),
        (node, steps) => {
          const clock = new ManualClock(T0);
          const ids = new Snowflake(node, clock);
          let last = ids.next();
          for (const ms of steps) {
            clock.advance(ms);
            const id = ids.next();
            assert.ok(id > last, `${id} after ${last}`);
            last = id;
          }
        },
      ),
      RUNS,
    );
  });

  it('more than 4096 ids in one ms: borrows the next ms, still unique and ordered', () => {
    const clock = new ManualClock(T0);
    const ids = new Snowflake(7, clock);
    const issued: bigint[] = [];
    for (let i = 0; i < 10_000; i++) issued.push(ids.next());
    for (let i = 1; i < issued.length; i++) assert.ok(issued[i]! > issued[i - 1]!);
    const first = Snowflake.parse(issued[0]!);
    const last = Snowflake.parse(issued.at(-1)!);
    assert.deepEqual(first, { timeMs: T0, node: 7, sequence: 0 });
    assert.deepEqual(last, { timeMs: T0 + 2, node: 7, sequence: 10_000 - 2 * 4096 - 1 });
    // The clock catching up (but still behind the borrowed ms) keeps the order.
    clock.advance(1);
    const next = ids.next();
    assert.ok(next > issued.at(-1)!);
    assert.equal(Snowflake.parse(next).timeMs, T0 + 2);
  });

  it('refuses to issue ids while the clock is behind, then resumes in order', () => {
    const clock = new ManualClock(T0);
    const ids = new Snowflake(1, clock);
    const before = ids.next();
    clock.advance(-5);
    assert.throws(
      () => ids.next(),
      (error: unknown) =>
        error instanceof AccordError &&
        error.code === 'CLOCK_MOVED_BACKWARDS' &&
        error.retryable &&
        /5 ms behind/.test(error.message),
    );
    clock.advance(4);
    assert.throws(() => ids.next(), AccordError);
    clock.advance(1);
    assert.ok(ids.next() > before);
  });

  it('parse splits an id into its time, node and sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: SNOWFLAKE_EPOCH, max: SNOWFLAKE_EPOCH + 2 ** 40 }),
        fc.integer({ min: 0, max: 1023 }),
        fc.integer({ min: 1, max: 5_000 }),
        (time, node, count) => {
          const ids = new Snowflake(node, new ManualClock(time));
          for (let i = 0; i < count - 1; i++) ids.next();
          const id = ids.next();
          const parts = Snowflake.parse(id);
          assert.equal(parts.node, node);
          assert.equal(parts.timeMs, time + Math.floor((count - 1) / 4096));
          assert.equal(parts.sequence, (count - 1) % 4096);
          const rebuilt =
            (BigInt(parts.timeMs - SNOWFLAKE_EPOCH) << 22n) |
            (BigInt(parts.node) << 12n) |
            BigInt(parts.sequence);
          assert.equal(rebuilt, id);
          assert.ok(id > 0n && id < 2n ** 63n, 'fits a signed 64-bit integer');
        },
      ),
      { ...RUNS, numRuns: 50 },
    );
  });

  it('checks the node id range', () => {
    const clock = new ManualClock(T0);
    for (const node of [0, 1023]) assert.doesNotThrow(() => new Snowflake(node, clock));
    for (const node of [-1, 1024, 1.5, Number.NaN]) {
      assert.throws(() => new Snowflake(node, clock), RangeError, `node ${node}`);
    }
  });
});
