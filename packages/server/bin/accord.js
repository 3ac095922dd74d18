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
import { readFileSync, statSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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

// Node 22.1 and later keep compiled code between runs; older versions skip this.
module.enableCompileCache?.();

if (bundleIsCurrent()) {
  createRequire(import.meta.url)(fileURLToPath(bundle));
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
