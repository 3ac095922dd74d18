import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const DEMO = fileURLToPath(new URL('./demo.js', import.meta.url));

describe('flight-booking demo (TCC for REST)', () => {
  it('runs every story and every check passes', () => {
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    for (const story of [
      '1. both seats held, then confirmed',
      '2. sky has no seat',
      '3. the holds expire before the client confirms',
      '4. the coordinator is killed right after deciding',
      '5. sky is down until its hold has expired',
    ]) {
      assert.ok(run.stdout.includes(story), `story missing: ${story}`);
    }
    assert.ok(!run.stdout.includes('✗'), run.stdout);
    assert.match(run.stdout, /all stories checked/);
  });
});
