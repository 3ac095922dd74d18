#!/usr/bin/env node
// The `accord` command. This file is committed, so npm can link the bin on the very first
// install, before the TypeScript build has produced dist/ (the root `prepare` script runs
// that build right after linking).
//
// It runs the one-file bundle (dist/bundle/accord.cjs, made by scripts/bundle-cli.mjs)
// when that is current, which starts several times faster, and the compiled modules
// (dist/cli/main.js) otherwise. "Current" means the build-info files listed in the
// bundle's inputs.json have not changed since it was made (a listed file that does not
// exist, as in an installed package, does not count against it).
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = new URL('../dist/bundle/accord.cjs', import.meta.url);

function bundleIsCurrent() {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(new URL('inputs.json', bundle), 'utf8'));
    statSync(bundle);
  } catch {
    return false;
  }
  return inputs.every(([path, mtimeMs]) => {
    try {
      return statSync(new URL(`../${path}`, import.meta.url)).mtimeMs === mtimeMs;
    } catch (error) {
      return error?.code === 'ENOENT';
    }
  });
}

/**
 * Runs the bundle as a CommonJS module, compiled with V8's code cache kept beside it
 * (accord.cjs.v8cache): parsing and compiling 1 MB of JavaScript is a third of a cold
 * start, and the cache skips most of it. V8 checks the cache against the source and its own
 * version and rejects a stale one; then, as on the first run, a new cache is written once
 * the process has run for a second (so it holds the functions start-up compiled), or when
 * it exits sooner. Failing to write it (a read-only install) only costs the speed-up.
 */
function runBundle() {
  const file = fileURLToPath(bundle);
  const cacheFile = `${file}.v8cache`;
  const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(module.wrap(source), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    let written = false;
    const writeCache = () => {
      if (written) return;
      written = true;
      try {
        writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData());
        renameSync(`${cacheFile}.${process.pid}`, cacheFile);
      } catch {
        // Not writable here: every start compiles the bundle afresh.
      }
    };
    setTimeout(writeCache, 1000).unref();
    process.once('exit', writeCache);
  }
  const require = createRequire(file);
  const exports = {};
  const mod = { exports, require, id: file, filename: file, loaded: false, children: [] };
  script.runInThisContext()(exports, require, mod, file, dirname(file));
}

// Node 22.1 and later keep compiled code between runs; older versions skip this.
module.enableCompileCache?.();

if (bundleIsCurrent()) {
  runBundle();
} else {
  const main = new URL('../dist/cli/main.js', import.meta.url);
  try {
    await import(main.href);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(main.pathname)) {
      console.error('accord is not built yet: run `npm run build` in the repository first.');
      process.exit(1);
    }
    throw error;
  }
}
