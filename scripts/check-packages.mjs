#!/usr/bin/env node
// Lints the packages as the registry would serve them: publint (package.json fields
// against the packed files) and Are the Types Wrong (each entry point's types resolve like
// its code). The packages are ESM only, so attw's CommonJS and node10 resolutions are out
// of scope (`--profile esm-only`). Then checks the API reports (scripts/api-report.mjs).
// Usage: node scripts/check-packages.mjs [dir-with-tarballs]; without a directory it packs
// the built packages itself.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const PACKAGES = ['core', 'protocol', 'client', 'server'];

function run(command, args, cwd = root) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

let dir = process.argv[2];
const packedHere = dir === undefined;
if (packedHere) {
  dir = mkdtempSync(join(tmpdir(), 'accord-tarballs-'));
  const args = ['pack', ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])];
  const pack = run('npm', [...args, '--pack-destination', dir, '--ignore-scripts', '--silent']);
  if (!pack.ok) {
    console.error(pack.output);
    process.exit(1);
  }
}

let failed = false;
try {
  for (const tarball of readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
    const path = join(dir, tarball);
    const publint = run(bin('publint'), ['run', path, '--strict']);
    const attw = run(bin('attw'), [path, '--profile', 'esm-only', '--no-emoji', '--no-color']);
    for (const [tool, result] of [
      ['publint', publint],
      ['attw', attw],
    ]) {
      if (!result.ok) {
        failed = true;
        console.error(`${tarball}: ${tool} found problems\n${result.output}`);
      }
    }
    if (publint.ok && attw.ok) console.log(`${tarball}: publint and attw pass`);
  }
} finally {
  if (packedHere) rmSync(dir, { recursive: true, force: true });
}

const api = spawnSync(process.execPath, [join(root, 'scripts', 'api-report.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(failed || api.status !== 0 ? 1 : 0);
