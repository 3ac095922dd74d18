import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const DEMO = fileURLToPath(new URL('./demo.js', import.meta.url));

describe('power-bank-rental demo (reservation with a delayed check)', () => {
  it('runs every story and every check passes', () => {
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    for (const story of [
      '1. a rental that completes',
      '2. the payment is declined',
      '3. the eject report is lost',
      '4. the order is never created',
    ]) {
      assert.ok(run.stdout.includes(story), `story missing: ${story}`);
    }
    assert.ok(!run.stdout.includes('✗'), run.stdout);
    assert.match(run.stdout, /all stories checked/);
  });
});
