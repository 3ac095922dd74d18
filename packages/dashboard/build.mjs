#!/usr/bin/env node
// Builds the web UI to dist/ (type check, then Vite), unless the sources are unchanged
// since the last build: a hash of every input is kept in dist/.build-hash. Prints what it
// does and the size of the bundle, raw and gzipped. Run by the root `build`, `start` and
// `test` scripts.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const here = new URL('.', import.meta.url).pathname;
const dist = join(here, 'dist');
const stampFile = join(dist, '.build-hash');
const inputs = [
  'src',
  'index.html',
  'vite.config.ts',
  'tsconfig.json',
  'package.json',
  'build.mjs',
];
const require = createRequire(import.meta.url);

function files(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

function inputHash() {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap((input) => files(join(here, input)))) {
    hash.update(relative(here, file)).update('\0').update(readFileSync(file));
  }
  // Library versions count too.
  for (const name of ['vite', 'preact', '@tanstack/react-query', 'uplot']) {
    hash.update(`${name}@${require(`${name}/package.json`).version}`);
  }
  return hash.digest('hex');
}

function report() {
  let raw = 0;
  let gzipped = 0;
  for (const file of files(join(dist, 'assets'))) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`dashboard: bundle ${kb(raw)}, ${kb(gzipped)} gzipped (packages/dashboard/dist)`);
}

function run(command, args) {
  const result = spawnSync(process.execPath, [command, ...args], { cwd: here, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`dashboard: build failed (${relative(here, command)} exited ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

const started = Date.now();
const hash = inputHash();
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
  console.log('dashboard: build is up to date');
  process.exit(0);
}
console.log('dashboard: type-checking and bundling the web UI (Vite)');
run(require.resolve('typescript/bin/tsc'), ['-p', 'tsconfig.json']);
run(join(require.resolve('vite/package.json'), '..', 'bin', 'vite.js'), [
  'build',
  '--logLevel',
  'warn',
]);
writeFileSync(stampFile, hash);
report();
console.log(`dashboard: built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
