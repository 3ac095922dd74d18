#!/usr/bin/env node
// Rewrites the settings tables of docs/config.md (between `<!-- settings:start SECTION -->`
// and `<!-- settings:end -->`) from the coordinator's settings table
// (packages/server/src/config/settings.ts). Reads the built server: `npm run docs:settings`
// builds it first. `--check` only says whether the doc is up to date.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { refreshSettingsDoc } = await import('../packages/server/dist/config/settings-doc.js');

const path = join(root, 'docs', 'config.md');
const before = readFileSync(path, 'utf8');
const after = refreshSettingsDoc(before);
if (after === before) {
  console.log('docs/config.md: settings tables up to date');
} else if (process.argv.includes('--check')) {
  console.error('docs/config.md: settings tables out of date; run `npm run docs:settings`');
  process.exit(1);
} else {
  writeFileSync(path, after);
  console.log('docs/config.md: settings tables rewritten');
}
