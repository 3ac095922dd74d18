/**
 * The compiled test files, filtered by path substrings: `*.test.js` under a workspace's
 * dist/, or under build/ in a published package (one with a tsconfig.build.json), whose
 * dist/ holds only the shipped code. Files named `*.serial.test.js` run alone, after
 * everything else.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  const shipped = existsSync(join(dir, 'tsconfig.build.json')) ? 'dist' : undefined;
  for (const name of entries) {
    if (name === 'node_modules' || name === shipped) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.js') && /\/(dist|build)\//.test(path)) out.push(path);
  }
  return out;
}

/** `{ parallel, serial }` lists of absolute paths under `root`, sorted. */
export function findTestFiles(root, filters) {
  const files = ['packages', 'examples', 'test', 'bench']
    .flatMap((d) => walk(join(root, d), []))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
    .sort();
  return {
    parallel: files.filter((f) => !f.endsWith('.serial.test.js')),
    serial: files.filter((f) => f.endsWith('.serial.test.js')),
  };
}
