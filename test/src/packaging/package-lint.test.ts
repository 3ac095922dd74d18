/**
 * publint and Are the Types Wrong on the packed tarballs, and the API reports against the
 * built declarations: `scripts/check-packages.mjs`, the same check `npm run
 * check:packages` runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from './processes.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test(
  'publint and attw pass on every tarball; the API reports are current',
  { timeout: 5 * 60_000 },
  async () => {
    const check = await run(process.execPath, ['scripts/check-packages.mjs'], {
      cwd: ROOT,
      timeoutMs: 4 * 60_000,
      allowFailure: true,
    });
    assert.equal(check.code, 0, check.output);
  },
);
