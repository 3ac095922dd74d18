/** The `accord` command as users run it: start-up validation, shutdown, migrate, tx. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { freePort, tempDir, waitFor } from '@accord/testkit';
import { READY_TIMEOUT_MS } from '../support/coordinator-process.js';

const CLI = fileURLToPath(new URL('../../../packages/server/dist/cli/main.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'], ...env },
    encoding: 'utf8',
    timeout: READY_TIMEOUT_MS,
  });
}

describe('accord command', () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ ACCORD_PORT: 'seventy' }, /ACCORD_PORT must be an integer from 0 to 65535/],
    [{ ACCORD_STORE: 'mongodb://db' }, /ACCORD_STORE must be a URL/],
    [{ ACCORD_HOST: '0.0.0.0' }, /beyond loopback: set ACCORD_TOKEN/],
    [{ ACCORD_DENIED_TARGETS: '10.0.0.0/99' }, /ACCORD_DENIED_TARGETS: "10.0.0.0\/99": the prefix/],
    [{ ACCORD_ALLOWED_TARGETS: '300.1.1.1' }, /ACCORD_ALLOWED_TARGETS: "300.1.1.1" is not a valid/],
    [{ ACCORD_CRASH_POINTS: 'after-lunch' }, /ACCORD_CRASH_POINTS: unknown point "after-lunch"/],
    [
      { ACCORD_PARTICIPANT_CAPS: 'pay:8080=0/5' },
      /ACCORD_PARTICIPANT_CAPS: "pay:8080=0\/5": the concurrency must be a whole number from 1/,
    ],
    [
      { ACCORD_STORE: 'postgres://accord:hunter2secret@127.0.0.1:1/accord' },
      /ACCORD_STORE \(postgres:\/\/accord:\*\*\*@127.0.0.1:1\/accord\) cannot be opened: .*ECONNREFUSED/,
    ],
    [
      { ACCORD_STORE: 'sqlite:/etc/passwd/accord.db' },
      /ACCORD_STORE \(sqlite:.*\) cannot be opened/,
    ],
  ];
  for (const [env, message] of bad) {
    it(`refuses to start with ${Object.keys(env).join(', ')} invalid, naming it`, () => {
      const dir = tempDir();
      try {
        const result = run(['serve'], { ...env, ACCORD_DATA_DIR: dir.path });
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /^accord: invalid configuration: /);
        assert.match(result.stderr, message);
        assert.doesNotMatch(result.stderr, /hunter2secret|\n\s+at /, 'no secret, no stack trace');
      } finally {
        dir.remove();
      }
    });
  }

  it('serves, answers, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', String(port), '--data-dir', dir.path],
      {
        env: { PATH: process.env['PATH'], ACCORD_LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok,
        { timeoutMs: READY_TIMEOUT_MS, what: 'the server' },
      );
      const tx = run(['tx', 'list', '--json'], { ACCORD_URL: `http://127.0.0.1:${port}` });
      assert.equal(tx.status, 0, tx.stderr);
      assert.deepEqual(JSON.parse(tx.stdout), { items: [], nextCursor: null });
      const missing = run(['tx', 'show', 'nope'], { ACCORD_URL: `http://127.0.0.1:${port}` });
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /TRANSACTION_NOT_FOUND/);
      const at = { ACCORD_URL: `http://127.0.0.1:${port}` };
      const paused = run(['participants', 'pause', 'Pay:8080', '--reason', 'failover'], at);
      assert.equal(paused.status, 0, paused.stderr);
      assert.match(paused.stdout.trim(), /^HOST +CALLS .*\npay:8080 .* by local: failover$/);
      const listed = run(['participants', 'list', '--json'], at);
      assert.deepEqual(
        (
          JSON.parse(listed.stdout) as { items: Array<{ host: string; paused: boolean }> }
        ).items.map((p) => [p.host, p.paused]),
        [['pay:8080', true]],
      );
      const resumed = run(['participants', 'resume', 'pay:8080', '--reason', 'done'], at);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout.trim(), /pay:8080 .* no$/);
      const notifications = run(['notify', 'list'], at);
      assert.equal(notifications.stdout.trim(), 'no notifications', notifications.stderr);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      dir.remove();
    }
  });

  it('prints the schema of the configured store', () => {
    const dir = tempDir();
    try {
      const result = run(['migrate', '--print'], { ACCORD_DATA_DIR: dir.path });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /CREATE TABLE accord_transactions/);
    } finally {
      dir.remove();
    }
  });
});
