/**
 * The compiled test files (`*.test.js` under a workspace's dist/), filtered by path
 * substrings. Files named `*.serial.test.js` run alone, after everything else.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

/** `{ parallel, serial }` lists of absolute paths under `root`, sorted. */
export function findTestFiles(root, filters) {
  const files = ['packages', 'examples', 'test']
    .flatMap((d) => walk(join(root, d), []))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
  return {
    parallel: files.filter((f) => !f.endsWith('.serial.test.js')),
    serial: files.filter((f) => f.endsWith('.serial.test.js')),
  };
}
