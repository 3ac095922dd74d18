#!/usr/bin/env node
// Builds what the `accord` command needs (the shipped code of packages/server and of the
// projects it references, not their tests) with `tsc -b`, printing one line per project
// compiled, then bundles it into one file for a quick start (scripts/bundle-cli.mjs).
// tsc's build info makes a second run cheap: an up-to-date build and bundle are reused. Runs
// as the root `prepare` script (so `npm install` leaves a working `npx accord`) and before
// `npm start`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const started = Date.now();
let built = 0;

const project = 'packages/server/tsconfig.build.json';

const child = spawn(process.execPath, [tsc, '-b', '--verbose', project], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let pending = '';
const problems = [];
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const building = /Building project '(.+)\/tsconfig(?:\.build)?\.json'/.exec(line);
    if (building) {
      if (built === 0) console.log('accord: compiling TypeScript (the first build takes a minute)');
      built += 1;
      console.log(`accord:   ${relative(root, building[1])}`);
    } else if (/error TS\d+/.test(line) || problems.length > 0) {
      problems.push(line);
    }
  }
});
/** Bundles the CLI unless the bundle is current; without esbuild the bin runs dist/. */
async function bundle() {
  const { bundleCli, bundleIsCurrent, BUNDLE } = await import('./bundle-cli.mjs');
  if (bundleIsCurrent()) return;
  const started = Date.now();
  try {
    await bundleCli();
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.log('accord: esbuild is not installed; the CLI runs unbundled (a slower start)');
    return;
  }
  console.log(
    `accord: bundled the CLI into ${relative(root, BUNDLE)} (${Date.now() - started} ms)`,
  );
}

child.on('close', async (code) => {
  if (pending) problems.push(pending);
  if (code !== 0) {
    console.error(problems.join('\n'));
    console.error(`accord: build failed (tsc exited ${code})`);
    process.exit(code ?? 1);
  }
  await bundle();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    built === 0
      ? `accord: build is up to date (${seconds}s)`
      : `accord: built ${built} project(s) in ${seconds}s`,
  );
});
