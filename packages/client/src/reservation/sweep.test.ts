import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccordError } from '@accord/core';
import { placeHold } from './place-hold.js';
import { settleHold } from './settle.js';
import { startHoldSweep, sweepHolds } from './sweep.js';
import type { Hold, HoldDecision, HoldSettler } from './types.js';

/** A settler over a map of decisions that records what it applied. */
function recordingSettler(decisions: Record<string, HoldDecision | Error>) {
  const applied: string[] = [];
  const settler: HoldSettler = {
    decide(hold) {
      const decision = decisions[hold.key];
      if (decision instanceof Error) throw decision;
      return decision ?? 'wait';
    },
    confirm: (hold) => void applied.push(`confirm ${hold.key}`),
    release: (hold) => void applied.push(`release ${hold.key}`),
  };
  return { settler, applied };
}

const hold = (key: string, expiresAt = 0): Hold => ({ key, gid: '', expiresAt, payload: null });

describe('settling holds', () => {
  test('applies confirm and release, and nothing on wait', async () => {
    const { settler, applied } = recordingSettler({ a: 'confirm', b: 'release', c: 'wait' });
    assert.equal(await settleHold(settler, hold('a')), 'confirmed');
    assert.equal(await settleHold(settler, hold('b')), 'released');
    assert.equal(await settleHold(settler, hold('c')), 'waiting');
    assert.deepEqual(applied, ['confirm a', 'release b']);
  });

  test('a decision outside the three is an error that names the hold', async () => {
    const settler = { ...recordingSettler({}).settler, decide: () => 'maybe' as HoldDecision };
    await assert.rejects(settleHold(settler, hold('x')), /hold x; expected confirm, release/);
  });

  test('a sweep asks only for holds past the grace, and one failure does not stop it', async () => {
    const { settler, applied } = recordingSettler({
      a: 'confirm',
      b: new Error('order service down'),
      c: 'release',
      d: 'wait',
    });
    let asked: [number, number] | undefined;
    const report = await sweepHolds({
      expired: (before, limit) => {
        asked = [before, limit];
        return [hold('a'), hold('b'), hold('c'), hold('d')];
      },
      settler,
      graceMs: 1_000,
      limit: 10,
      now: () => 50_000,
    });
    assert.deepEqual(asked, [49_000, 10]);
    assert.deepEqual(applied, ['confirm a', 'release c']);
    assert.equal(report.confirmed, 1);
    assert.equal(report.released, 1);
    assert.equal(report.waiting, 1);
    assert.deepEqual(
      report.failed.map((f) => f.key),
      ['b'],
    );
  });

  test('a periodic sweep never runs two passes at once, and stop waits for the one running', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sweeper = startHoldSweep({
      expired: async () => {
        running += 1;
        most = Math.max(most, running);
        passes += 1;
        if (passes === 1) await gate;
        running -= 1;
        return [];
      },
      settler: recordingSettler({}).settler,
      intervalMs: 1,
    });
    await new Promise<void>((resolve) => {
      const poll = () => (passes >= 1 ? resolve() : setTimeout(poll, 1));
      poll();
    });
    const stopped = sweeper.stop();
    release();
    await stopped;
    assert.equal(most, 1);
    assert.equal(running, 0, 'stop resolved after the pass in progress ended');
  });
});

describe('placing holds', () => {
  const never = {
    msg: () => {
      throw new Error('must not be called');
    },
  };
  const base = { key: 'slot-1', payload: {}, checkUrl: 'http://k/c', checkBackUrl: 'http://k/b' };

  test('refuses a hold length outside 1 ms to 30 days, naming the field', async () => {
    for (const holdMs of [0, -1, 1.5, 31 * 24 * 3_600_000]) {
      await assert.rejects(
        placeHold(never as never, { ...base, holdMs }, () => undefined),
        (error: unknown) => error instanceof AccordError && /holdMs/.test(error.message),
      );
    }
  });

  test('refuses an empty key', async () => {
    await assert.rejects(
      placeHold(never as never, { ...base, key: '', holdMs: 10 }, () => undefined),
      /hold key/,
    );
  });
});
