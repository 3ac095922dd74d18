/**
 * The end-of-run leak check: processes the run started that still run (found by the run
 * id in their environment, plus those files left behind in their process groups), and
 * schemas, databases and Redis keys with the run's mark on the shared services. It
 * prints one line, removes what it found, and fails the run when anything was left.
 */
import {
  anyLeftovers,
  findLeftovers,
  leftoverSummary,
  removeLeftovers,
} from '../../packages/testkit/dist/index.js';

/** Resolves to true when the run left nothing. `fileLeaks` are processes files left. */
export async function leakCheck(runId, fileLeaks, log) {
  const found = await findLeftovers(runId);
  const leftovers = { ...found, processes: [...fileLeaks, ...found.processes] };
  log(leftoverSummary(leftovers));
  for (const p of found.processes) log(`  process ${p.pid}: ${p.command}`);
  for (const name of leftovers.schemas) log(`  postgres: ${name}`);
  for (const name of leftovers.databases) log(`  mariadb: ${name}`);
  const prefixes = new Set(
    leftovers.redisKeys.map((k) => k.slice(0, k.indexOf(runId) + runId.length + 9)),
  );
  for (const prefix of prefixes) log(`  redis keys under: ${prefix}`);
  if (!anyLeftovers(leftovers)) return true;
  await removeLeftovers(found);
  return false;
}
