/**
 * `npm run fuzz -- --runs N [--seed S]`: a long fuzz run of the coordinator's API, with a
 * summary (requests, status histogram, store counts before and after). Exits 1 if any
 * reply broke the contract or the store holds what no 2xx reply showed.
 */
import { parseArgs } from 'node:util';
import { FuzzWorld } from './fuzz-world.js';
import { formatSummary, runFuzz } from './run-fuzz.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer, got ${values.runs}`);
  process.exit(2);
}
const world = await FuzzWorld.start();
try {
  const summary = await runFuzz(world, {
    runs,
    ...(values.seed !== undefined && { seed: Number(values.seed) }),
  });
  console.log(formatSummary(summary));
  process.exitCode = summary.failure === null && summary.storeProblems.length === 0 ? 0 : 1;
} finally {
  await world.close();
}
