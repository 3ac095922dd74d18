/**
 * The operator commands as users run them (the real `accord` bin against a running
 * coordinator): list with filters, show, pause/resume, bulk dry run then apply, whoami,
 * `--json`, `--version`, and refusals of bad flags.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { freePort, tempDir, waitFor } from '@accord/testkit';
import { READY_TIMEOUT_MS } from '../support/coordinator-process.js';

const BIN = fileURLToPath(new URL('../../../packages/server/bin/accord.js', import.meta.url));
const PACKAGE = new URL('../../../packages/server/package.json', import.meta.url);
const ALICE = 'alice-admin-token-0123456789';
const VIEWER = 'viewer-client-token-0123456789';

describe('accord operator commands', () => {
  const dir = tempDir();
  let url = '';
  let child: ReturnType<typeof spawn> | undefined;

  const run = (args: string[], token = ALICE) =>
    spawnSync(process.execPath, [BIN, ...args], {
      env: { PATH: process.env['PATH'], ACCORD_URL: url, ACCORD_ADMIN_TOKEN: token },
      encoding: 'utf8',
      timeout: READY_TIMEOUT_MS,
    });
  const ok = (args: string[]) => {
    const result = run(args);
    assert.equal(result.status, 0, `accord ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const json = <T>(args: string[]): T => JSON.parse(ok([...args, '--json']).stdout) as T;
  const gidsOf = (page: { items: Array<{ gid: string }> }) => page.items.map((t) => t.gid).sort();

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', String(port), '--data-dir', dir.path],
      {
        env: {
          PATH: process.env['PATH'],
          ACCORD_LOG_LEVEL: 'warn',
          ACCORD_TOKENS: `alice:admin:${ALICE},viewer:client:${VIEWER}`,
        },
        stdio: 'ignore',
      },
    );
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok, {
      timeoutMs: READY_TIMEOUT_MS,
      what: 'the coordinator',
    });
    // Prepared tcc transactions without a timeout wait for their client: nothing moves
    // them but the operator commands under test.
    for (const [gid, team] of [
      ['order-1', 'pay'],
      ['order-2', 'pay'],
      ['misc-1', 'ops'],
    ] as const) {
      const created = await fetch(`${url}/v1/transactions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
        body: JSON.stringify({ gid, mode: 'tcc', labels: { team } }),
      });
      assert.equal(created.status, 201, await created.text());
    }
  });

  after(() => {
    child?.kill('SIGKILL');
    dir.remove();
  });

  it('lists with filters, as a table and as JSON', () => {
    const table = ok(['tx', 'list', '--gid-prefix', 'order-', '--label', 'team=pay']).stdout;
    assert.match(table, /^GID\s+MODE\s+STATUS\s+FLAGS\s+CREATED\s+LABELS$/m);
    assert.match(table, /^order-1\s+tcc\s+prepared\s+\S+Z\s+team=pay$/m);
    assert.doesNotMatch(table, /misc-1/);
    assert.match(table, /^2 transactions$/m);
    type Page = { items: Array<{ gid: string }>; nextCursor: string | null };
    assert.deepEqual(gidsOf(json<Page>(['tx', 'list', '--since', '1h', '--mode', 'tcc'])), [
      'misc-1',
      'order-1',
      'order-2',
    ]);
    assert.deepEqual(gidsOf(json<Page>(['tx', 'list', '--until', '1h'])), []);
    const first = json<Page>(['tx', 'list', '--limit', '2']);
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    assert.equal(json<Page>(['tx', 'list', '--cursor', first.nextCursor]).items.length, 1);
  });

  it('pauses and resumes one transaction, the actor and reason in its history', () => {
    assert.equal(
      ok(['tx', 'pause', 'order-1', '--reason', 'bank maintenance']).stdout.trim(),
      'pause: order-1 is prepared (paused)',
    );
    const paused = json<{ items: Array<{ gid: string }> }>(['tx', 'list', '--paused']);
    assert.deepEqual(gidsOf(paused), ['order-1']);
    const shown = ok(['tx', 'show', 'order-1']).stdout;
    assert.match(shown, /^flags:\s+paused$/m);
    assert.match(shown, /pause\s+\S+\s+alice\s+bank maintenance/);
    ok(['tx', 'resume', 'order-1', '--reason', 'maintenance over']);
    const result = json<{
      transaction: { paused: boolean };
      history: Array<{ op: string; actor: string | null; message: string }>;
    }>(['tx', 'show', 'order-1']);
    assert.equal(result.transaction.paused, false);
    assert.deepEqual(
      result.history.filter((h) => h.actor !== null).map((h) => [h.op, h.actor, h.message]),
      [
        ['pause', 'alice', 'bank maintenance'],
        ['resume', 'alice', 'maintenance over'],
      ],
    );
  });

  it('bulk counts first and changes nothing, then applies with --yes and shows progress', () => {
    const dry = ok(['bulk', 'pause', '--label', 'team=pay', '--reason', 'incident 7']);
    assert.equal(
      dry.stdout.trim(),
      '2 transactions match; nothing changed (dry run). Add --yes to pause them.',
    );
    assert.deepEqual(json<{ items: unknown[] }>(['tx', 'list', '--paused']).items, []);

    const applied = ok([
      'bulk',
      'pause',
      '--label',
      'team=pay',
      '--reason',
      'incident 7',
      '--yes',
      '--json',
    ]);
    assert.deepEqual(JSON.parse(applied.stdout), { matched: 2, applied: 2, failed: [] });
    assert.match(applied.stderr, /\[#+\] 2\/2 paused/);
    const paused = json<{ items: Array<{ gid: string }> }>(['tx', 'list', '--paused']);
    assert.deepEqual(gidsOf(paused), ['order-1', 'order-2']);

    const resumed = ok(['bulk', 'resume', '--paused', '--reason', 'incident over', '--yes']);
    assert.equal(resumed.stdout.trim(), '2 of 2 resumed, 0 failed');
    assert.deepEqual(json<{ items: unknown[] }>(['tx', 'list', '--paused']).items, []);
  });

  it('tells who is signed in, and refuses a client token an operator action', () => {
    assert.equal(ok(['whoami']).stdout.trim(), `alice (admin) at ${url}`);
    const viewer = run(['tx', 'pause', 'order-2', '--reason', 'try'], VIEWER);
    assert.equal(viewer.status, 1);
    assert.match(viewer.stderr, /^accord: FORBIDDEN: /);
  });

  it('prints its version', () => {
    const { version } = JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string };
    assert.equal(ok(['--version']).stdout.trim(), version);
  });

  const refusals: Array<[string[], RegExp]> = [
    [['tx', 'list', '--since', 'yesterday'], /--since "yesterday": expected an ISO time/],
    [['tx', 'list', '--label', 'team'], /--label "team": expected key=value/],
    [['tx', 'list', '--limit', '0'], /--limit "0": expected a whole number from 1 to 500/],
    [['tx', 'list', '--colour'], /accord tx list: Unknown option '--colour'/],
    [['tx', 'pause', 'order-1'], /--reason is required: say why it is paused/],
    [['tx', 'show'], /accord tx show: needs <gid>/],
    [
      ['tx', 'resolve', 'order-1', '--status', 'done', '--reason', 'x'],
      /--status "done": resolve takes succeeded or failed/,
    ],
    [['bulk', 'delete'], /accord bulk: expected retry, resolve, pause or resume, not "delete"/],
    [['bulk', 'resolve', '--reason', 'x'], /--to is required/],
  ];
  for (const [args, message] of refusals) {
    it(`refuses "accord ${args.join(' ')}", naming the flag (exit 2)`, () => {
      const result = run(args);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('passes the server’s refusal of a filter value on, with the field', () => {
    const result = run(['tx', 'list', '--status', 'sleepy']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^accord: INVALID_REQUEST: /);
    assert.match(result.stderr, /status/);
  });
});
