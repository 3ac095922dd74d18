import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReplayGuard } from './replay-guard.js';

const T0 = 1_750_000_000_000;

describe('replay guard', () => {
  test('admits a signature once within the window, and forgets it once stale', () => {
    const guard = new ReplayGuard({ windowMs: 1000 });
    assert.equal(guard.admit('a', T0, T0), true);
    assert.equal(guard.admit('a', T0, T0 + 1000), false, 'a replay inside the window');
    assert.equal(guard.admit('b', T0 + 5, T0 + 1000), true);
    // Past the window the verifier refuses 'a' as stale anyway: its entry can go.
    assert.equal(guard.admit('c', T0 + 1003, T0 + 1003), true);
    assert.equal(guard.size, 2);
  });

  test('bounded: when full, the oldest go, and nothing as old as them is admitted', () => {
    const guard = new ReplayGuard({ windowMs: 60_000, maxEntries: 3 });
    for (const [mac, at] of [
      ['a', T0],
      ['b', T0 + 1],
      ['c', T0 + 2],
    ] as const) {
      assert.equal(guard.admit(mac, at, T0 + 10), true);
    }
    assert.equal(guard.admit('d', T0 + 3, T0 + 10), true, 'room is made by forgetting a');
    assert.equal(guard.size, 3);
    assert.equal(guard.admit('a', T0, T0 + 10), false, 'a forgotten signature is still refused');
    assert.equal(guard.admit('e', T0 - 5, T0 + 10), false, 'as is anything older');
    assert.equal(guard.admit('d', T0 + 3, T0 + 10), false);
    assert.equal(guard.admit('f', T0 + 4, T0 + 10), true);
  });

  test('refuses a size it cannot keep', () => {
    assert.throws(() => new ReplayGuard({ maxEntries: 0 }), TypeError);
  });
});
