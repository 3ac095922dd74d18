#!/usr/bin/env node
// Runs every compiled test file (`*.test.js` under a workspace's dist/) with Node's test
// runner. Extra arguments filter by path substring: `npm test -- stores`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startForTests as startRedisCluster } from './redis-cluster.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'examples', 'test'].map((d) => join(root, d));
const filters = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.js') && path.includes('/dist/')) out.push(path);
  }
  return out;
}

const files = roots
  .flatMap((d) => walk(d, []))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}
// Files named *.serial.test.js restart shared services (PostgreSQL, ...): they run
// alone, after everything else.
const serial = files.filter((f) => f.endsWith('.serial.test.js'));
const parallel = files.filter((f) => !f.endsWith('.serial.test.js'));

function run(group, concurrency) {
  if (group.length === 0) return 0;
  const names = group.map((f) => relative(root, f)).join(', ');
  console.log(`running ${group.length} test files (concurrency ${concurrency}): ${names}`);
  const result = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${concurrency}`, ...group],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

// Services first: settings the suites rely on (PostgreSQL prepared transactions for XA).
const prepared = spawnSync(process.execPath, [join(root, 'scripts', 'prepare-services.mjs')], {
  stdio: 'inherit',
});
if (prepared.status !== 0) process.exit(prepared.status ?? 1);

// A private Redis Cluster; it sets ACCORD_TEST_REDIS_CLUSTER_URL for the suites.
const redisCluster = await startRedisCluster();
const first = run(parallel, process.env.ACCORD_TEST_CONCURRENCY ?? '2');
const second = run(serial, '1');
await redisCluster.stop();
process.exit(first || second);
