#!/usr/bin/env node
// Runs every compiled test file (`*.test.js` under a workspace's dist/ or build/), each in a
// Node test-runner process of its own. Extra arguments filter by path substring:
// `npm test -- stores`.
//
// Around the files: private services (started first, exported as environment variables,
// removed on every exit path), per-file and whole-run time-outs that kill a hung file
// with everything it started, and a leak check at the end.
//
// Settings: ACCORD_TEST_CONCURRENCY (files at once, default 2),
// ACCORD_TEST_FILE_TIMEOUT_MS (default 900000), ACCORD_TEST_RUN_TIMEOUT_MS (default 3600000).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findTestFiles } from './test-runner/test-files.mjs';

const root = new URL('..', import.meta.url).pathname;
const log = (line) => console.log(line);

if (!existsSync(join(root, 'packages', 'testkit', 'dist', 'index.js'))) {
  console.error('the testkit is not built: run `npm run build` first (or use `npm test`)');
  process.exit(1);
}
const { FilePool } = await import('./test-runner/file-pool.mjs');
const { leakCheck } = await import('./test-runner/leak-check.mjs');
const { privateServices } = await import('./test-runner/private-services.mjs');
const { newRunId, RUN_ID_VARIABLE } = await import('../packages/testkit/dist/index.js');

const { parallel, serial } = findTestFiles(root, process.argv.slice(2));
if (parallel.length + serial.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}

function positive(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive integer, got ${process.env[name]}`);
    process.exit(1);
  }
  return value;
}
const concurrency = positive('ACCORD_TEST_CONCURRENCY', 2);
const fileTimeoutMs = positive('ACCORD_TEST_FILE_TIMEOUT_MS', 900_000);
const runTimeoutMs = positive('ACCORD_TEST_RUN_TIMEOUT_MS', 3_600_000);

const runId = newRunId();
process.env[RUN_ID_VARIABLE] = runId;
log(`test run ${runId}`);
const started = Date.now();
const services = privateServices(log);
let pool;

let ending = false;
/**
 * Stops everything this run started, then exits; runs once, whichever way the run ends
 * (a signal may come while the private services are still starting). An interrupted or
 * timed-out run still removes what it left on the shared services.
 */
async function shutdown(code, why) {
  if (ending) return;
  ending = true;
  if (why) log(why);
  pool?.killAll();
  await services.stop();
  if (why) await leakCheck(runId, [], log).catch((error) => log(`leak check failed: ${error}`));
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(130, 'interrupted (SIGINT)'));
process.once('SIGTERM', () => void shutdown(143, 'terminated (SIGTERM)'));
const runTimer = setTimeout(() => {
  const hung = pool?.runningFiles().join(', ') || '(none)';
  void shutdown(1, `the whole run timed out after ${runTimeoutMs} ms; still running: ${hung}`);
}, runTimeoutMs);

/** After a signal or the run's time-out, `shutdown` owns the exit: wait for it. */
const yieldToShutdown = () => (ending ? new Promise(() => undefined) : Promise.resolve());

try {
  await services.start();
  await yieldToShutdown();
  pool = new FilePool({ root, env: { ...process.env, ...services.env }, fileTimeoutMs, log });
  await pool.run(parallel, concurrency);
  await pool.run(serial, 1);
  await yieldToShutdown();
  clearTimeout(runTimer);
  ending = true;
  await services.stop();
  const results = pool.results;
  const failed = results.filter((r) => r.status !== 'passed');
  const fileLeaks = results.flatMap((r) => r.leaked);
  const clean = await leakCheck(runId, fileLeaks, log);
  const took = ((Date.now() - started) / 1000).toFixed(0);
  log(`${results.length} test files, ${failed.length} failed, ${took} s`);
  for (const r of failed) log(`  ${r.status}: ${r.file}`);
  process.exit(failed.length === 0 && clean ? 0 : 1);
} catch (error) {
  console.error(error);
  if (ending) process.exit(1);
  await shutdown(1, 'the runner failed');
}
