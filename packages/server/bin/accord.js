#!/usr/bin/env node
// The `accord` command. This file is committed, so npm can link the bin on the very first
// install, before the TypeScript build has produced dist/ (the root `prepare` script runs
// that build right after linking). It is CommonJS (see package.json beside it): Node
// starts a CommonJS entry faster than an ES module one, and start-up is what it is for.
//
// It runs the one-file bundle (dist/bundle/accord.cjs, made by scripts/bundle-cli.mjs)
// when that is current, which starts several times faster, and the compiled modules
// (dist/cli/main.js) otherwise. "Current" means the build-info files listed in the
// bundle's inputs.json have not changed since it was made (a listed file that does not
// exist, as in an installed package, does not count against it).
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const nodeModule = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const packageRoot = join(__dirname, '..');
const bundle = join(packageRoot, 'dist', 'bundle', 'accord.cjs');

function bundleIsCurrent() {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(dirname(bundle), 'inputs.json'), 'utf8'));
    statSync(bundle);
  } catch {
    return false;
  }
  return inputs.every(([path, mtimeMs]) => {
    try {
      return statSync(join(packageRoot, path)).mtimeMs === mtimeMs;
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
  const cacheFile = `${bundle}.v8cache`;
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(nodeModule.wrap(source), { filename: bundle, cachedData });
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
  const bundleRequire = nodeModule.createRequire(bundle);
  const exports = {};
  const mod = { exports, require: bundleRequire, id: bundle, filename: bundle, loaded: false };
  script.runInThisContext()(exports, bundleRequire, mod, bundle, dirname(bundle));
}

// Node 22.1 and later keep compiled code between runs; older versions skip this.
nodeModule.enableCompileCache?.();

if (bundleIsCurrent()) {
  runBundle();
} else {
  const main = join(packageRoot, 'dist', 'cli', 'main.js');
  import(pathToFileURL(main).href).catch((error) => {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(main)) {
      console.error('accord is not built yet: run `npm run build` in the repository first.');
      process.exit(1);
    }
    throw error;
  });
}
