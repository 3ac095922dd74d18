/**
 * One set of inbox cases every dialect must pass, driven through a small harness each
 * dialect's test file implements on a real database. Not part of the public API.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ManualClock } from '@accord/core';
import type { InboxResult } from '../../src/outbox/types.js';

/** Options of one consume in the harness. */
export interface ConsumeOptions {
  /** Which of the two consumers of the fixture (default `a`). */
  consumer?: 'a' | 'b';
  /** Keep the transaction open this long after the effect, ms, before finishing it. */
  holdMs?: number;
  /** Throw after the effect, so the transaction rolls back. */
  fail?: boolean;
}

/** One isolated inbox table on a dialect, with consumers `a` and `b`, using `clock`. */
export interface InboxFixture {
  /**
   * One consumer's local transaction: `inbox.consume(tx, messageId, fn)` where `fn`
   * writes an effect row for `messageId` and returns 1.
   */
  consume(messageId: string, options?: ConsumeOptions): Promise<InboxResult<number>>;
  /** Effect rows written for `messageId`. */
  effects(messageId: string): Promise<number>;
  /** Purges consumer `a`'s rows older than `olderThanMs`. */
  purge(olderThanMs: number): Promise<number>;
}

/** A dialect under test. */
export interface InboxHarness {
  open(clock: ManualClock): Promise<InboxFixture>;
  /** Why concurrent consumes cannot interleave here, or undefined when they can. */
  readonly noConcurrency?: string;
}

const duplicate = { applied: false, reason: 'duplicate' } as const;

/** Registers the shared inbox cases. */
export function inboxConformance(
  name: string,
  harness: () => InboxHarness,
  clock: () => ManualClock,
): void {
  describe(`${name}: inbox conformance`, () => {
    test('a redelivered message is applied once', async () => {
      const fx = await harness().open(clock());
      assert.deepEqual(await fx.consume('m-1'), { applied: true, value: 1 });
      assert.deepEqual(await fx.consume('m-1'), duplicate);
      assert.deepEqual(await fx.consume('m-1'), duplicate);
      assert.equal(await fx.effects('m-1'), 1);
    });

    test('a failed consume leaves no trace, so the redelivery applies', async () => {
      const fx = await harness().open(clock());
      await assert.rejects(fx.consume('m-2', { fail: true }), /consumer failed/);
      assert.equal(await fx.effects('m-2'), 0);
      assert.deepEqual(await fx.consume('m-2'), { applied: true, value: 1 });
      assert.equal(await fx.effects('m-2'), 1);
    });

    test('each consumer sees every message once', async () => {
      const fx = await harness().open(clock());
      assert.equal((await fx.consume('m-3', { consumer: 'a' })).applied, true);
      assert.equal((await fx.consume('m-3', { consumer: 'b' })).applied, true);
      assert.deepEqual(await fx.consume('m-3', { consumer: 'b' }), duplicate);
      assert.equal(await fx.effects('m-3'), 2);
    });

    test('concurrent duplicates: exactly one applies, the others wait and skip', async (t) => {
      const h = harness();
      if (h.noConcurrency) return t.skip(h.noConcurrency);
      const fx = await h.open(clock());
      const results = await Promise.all([
        fx.consume('m-4', { holdMs: 150 }),
        fx.consume('m-4', { holdMs: 150 }),
        fx.consume('m-4', { holdMs: 150 }),
      ]);
      assert.equal(results.filter((r) => r.applied).length, 1);
      assert.deepEqual(
        results.filter((r) => !r.applied),
        [duplicate, duplicate],
      );
      assert.equal(await fx.effects('m-4'), 1);
    });

    test('a concurrent duplicate of a consume that rolls back applies after it', async (t) => {
      const h = harness();
      if (h.noConcurrency) return t.skip(h.noConcurrency);
      const fx = await h.open(clock());
      const first = fx.consume('m-5', { holdMs: 150, fail: true });
      await new Promise((r) => setTimeout(r, 30)); // let the first insert its key
      const second = fx.consume('m-5');
      await assert.rejects(first, /consumer failed/);
      assert.deepEqual(await second, { applied: true, value: 1 });
      assert.equal(await fx.effects('m-5'), 1);
    });

    test('purge forgets old message ids (the deduplication window)', async () => {
      const c = clock();
      const fx = await harness().open(c);
      await fx.consume('m-6');
      c.advance(60_000);
      await fx.consume('m-7');
      assert.equal(await fx.purge(30_000), 1);
      assert.deepEqual(await fx.consume('m-7'), duplicate);
      assert.deepEqual(await fx.consume('m-6'), { applied: true, value: 1 });
    });

    test('an unusable message id is refused', async () => {
      const fx = await harness().open(clock());
      for (const bad of ['', ' padded ', 'x'.repeat(129), 'a\nb']) {
        await assert.rejects(fx.consume(bad), { code: 'INVALID_REQUEST', message: /^messageId: / });
      }
    });
  });
}
