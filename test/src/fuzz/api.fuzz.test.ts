import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FuzzWorld } from './fuzz-world.js';
import { formatSummary, runFuzz } from './run-fuzz.js';

/** Requests per `npm test`; `npm run fuzz -- --runs N` makes longer runs. */
const RUNS = Number(process.env['ACCORD_FUZZ_RUNS'] ?? 3000);

describe('the API under fuzzing', () => {
  let world: FuzzWorld;
  before(async () => {
    world = await FuzzWorld.start();
  });
  after(async () => {
    await world.close();
  });

  it('answers every request in the contract and stores nothing it refused', async (t) => {
    const summary = await runFuzz(world, { runs: RUNS });
    t.diagnostic(formatSummary(summary));
    assert.equal(summary.failure, null, summary.failure ?? '');
    assert.deepEqual(summary.storeProblems, []);
    assert.ok(
      summary.after.transactions > summary.before.transactions,
      'some requests were accepted',
    );
    assert.ok((summary.statuses.get(400) ?? 0) > 0, 'some requests were refused');
  });
});
