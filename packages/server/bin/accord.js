#!/usr/bin/env node
// The `accord` command. This file is committed, so npm can link the bin on the very first
// install, before the TypeScript build has produced dist/ (the root `prepare` script runs
// that build right after linking).
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
