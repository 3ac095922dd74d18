/**
 * TCC for REST through a coordinator crash: kill -9 right after the confirm decision is
 * durable, before any participant was called; after the restart the coordinator confirms
 * every link by itself, and the client's repeated PUT gets the answer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { fileURLToPath } from 'node:url';
import { CoordinatorProcess } from '../support/coordinator-process.js';

const CLI = fileURLToPath(new URL('../../../packages/server/dist/cli/main.js', import.meta.url));

/** Runs `accord tx …` against the coordinator and parses its JSON output. */
function accordTx(url: string, args: string[]): unknown {
  const run = spawnSync(process.execPath, [CLI, 'tx', ...args, '--json'], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], ACCORD_URL: url },
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

describe('TCC for REST coordinator crash', () => {
  it('confirms after a kill -9 between the decision and the first PUT', async () => {
    const dir = tempDir('accord-tcc-rest-crash-');
    const calls: string[] = [];
    const participants = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => participants.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(participants.address() as AddressInfo).port}`;
    const coordinator = new CoordinatorProcess({
      dataDir: dir.path,
      env: { ACCORD_CRASH_POINTS: 'after-decision' },
    });
    const expires = new Date(Date.now() + 120_000).toISOString();
    const body = JSON.stringify({
      participantLinks: [
        { uri: `${base}/seat/a`, expires },
        { uri: `${base}/seat/b`, expires },
      ],
    });
    const confirm = () =>
      fetch(`${coordinator.url}/tcc/coordinator/confirm`, {
        method: 'PUT',
        headers: { 'content-type': 'application/tcc+json' },
        body,
      });
    try {
      await coordinator.start();
      await assert.rejects(confirm(), 'the coordinator dies while deciding');
      assert.equal(await coordinator.waitForExit(), 'SIGKILL');
      assert.deepEqual(calls, [], 'nobody was called before the crash');
      await coordinator.start({ ACCORD_CRASH_POINTS: '' });
      await waitFor(() => calls.length === 2, { timeoutMs: 30_000 });
      assert.deepEqual(calls.sort(), ['PUT /seat/a', 'PUT /seat/b']);
      const again = await confirm();
      assert.equal(again.status, 204);
      assert.equal(calls.length, 2, 'the repeat is answered from the stored outcome');
      const page = accordTx(coordinator.url, ['list', '--mode', 'tcc-rest']) as {
        items: Array<{ gid: string; mode: string; status: string }>;
      };
      assert.equal(page.items.length, 1);
      assert.deepEqual([page.items[0]?.mode, page.items[0]?.status], ['tcc-rest', 'succeeded']);
      const shown = accordTx(coordinator.url, ['show', page.items[0]!.gid]) as {
        transaction: { branches: Array<{ op: string; url: string; status: string }> };
      };
      const confirms = shown.transaction.branches.filter((b) => b.op === 'confirm');
      assert.deepEqual(confirms.map((b) => [b.url.replace(base, ''), b.status]).sort(), [
        ['/seat/a', 'succeeded'],
        ['/seat/b', 'succeeded'],
      ]);
    } finally {
      await coordinator.stop().catch(() => undefined);
      await new Promise<void>((resolve) => participants.close(() => resolve()));
      dir.remove();
    }
  });
});
