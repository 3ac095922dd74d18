/**
 * One coordinator per SQLite file, since SQLite cannot be shared by instances: a second
 * `accord serve` on the file is refused at start while the first keeps serving, and a
 * kill -9 of the first frees the file for the next one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { currentRunId, freePort, RUN_ID_VARIABLE, tempDir } from '@accord/testkit';
import { CoordinatorProcess, READY_TIMEOUT_MS } from '../support/coordinator-process.js';

const CLI = fileURLToPath(new URL('../../../packages/server/dist/cli/main.js', import.meta.url));

/** `accord serve` on the data dir's default SQLite file, run to its exit. */
async function serveUntilExit(dataDir: string) {
  return spawnSync(process.execPath, [CLI, 'serve'], {
    env: {
      PATH: process.env['PATH'],
      [RUN_ID_VARIABLE]: currentRunId(),
      ACCORD_DATA_DIR: dataDir,
      ACCORD_PORT: String(await freePort()),
      ACCORD_LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
    timeout: READY_TIMEOUT_MS,
  });
}

/** Creates a prepared TCC transaction (no participant is called). */
async function prepare(url: string, gid: string): Promise<number> {
  const res = await fetch(`${url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gid, mode: 'tcc', options: { timeoutMs: 600_000 } }),
  });
  return res.status;
}

describe('one coordinator per SQLite file', () => {
  it('refuses a second coordinator, keeps the first serving, and is free again after kill -9', async () => {
    const dir = tempDir('accord-single-');
    const first = new CoordinatorProcess({ dataDir: dir.path });
    const next = new CoordinatorProcess({ dataDir: dir.path });
    try {
      await first.start();
      assert.equal(await prepare(first.url, 'before-second'), 201);

      const second = await serveUntilExit(dir.path);
      assert.equal(second.status, 2, second.stderr);
      assert.match(second.stderr, /^accord: invalid configuration: ACCORD_STORE \(sqlite:/);
      assert.match(second.stderr, /accord\.db is in use by another coordinator/);
      assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');

      assert.ok(first.running, 'the first coordinator is still running');
      assert.equal(await prepare(first.url, 'after-second'), 201);

      await first.kill9();
      await next.start();
      const res = await fetch(`${next.url}/v1/transactions/after-second`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { transaction: { status: string } };
      assert.equal(body.transaction.status, 'prepared');
    } finally {
      await first.kill9();
      await next.kill9();
      dir.remove();
    }
  });
});
