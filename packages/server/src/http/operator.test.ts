/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return --
   replies are read as loose JSON; their shapes are the schemas' business (openapi.test.ts). */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';

const CLIENT = 'client-token-0123456789';
const ALICE = 'alice-token-0123456789';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A participant that counts calls per path, and an alert sink. */
function listen(handler: (path: string, body: string) => number): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.statusCode = handler(req.url ?? '', body);
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('operator controls', () => {
  let server: RunningServer;
  let participant: Server;
  let alertSink: Server;
  const calls: string[] = [];
  const alerts: Json[] = [];
  const dir = tempDir('accord-operator-');

  before(async () => {
    participant = await listen((path) => {
      calls.push(path);
      return 200;
    });
    alertSink = await listen((_path, body) => {
      alerts.push(JSON.parse(body) as Json);
      return 200;
    });
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_TOKEN: CLIENT,
          ACCORD_TOKENS: `alice:admin:${ALICE}, bob:client:bob-token-0123456789`,
          ACCORD_POLL_INTERVAL_MS: '20',
          ACCORD_STUCK_AFTER_MS: '3600000',
          ACCORD_STUCK_AFTER: 'tcc=1000',
          ACCORD_STUCK_CHECK_MS: '100',
          ACCORD_ALERT_URL: `${urlOf(alertSink)}/alerts`,
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    participant.close();
    alertSink.close();
    dir.remove();
  });

  async function call(method: 'GET' | 'POST', url: string, token = ALICE, body?: unknown) {
    const res = await server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(body !== undefined && { payload: body as object }),
    });
    return { status: res.statusCode, json: res.json<Json>() };
  }

  async function tcc(gid: string, labels: Record<string, string>) {
    const created = await call('POST', '/v1/transactions', CLIENT, {
      gid,
      mode: 'tcc',
      labels,
      options: { timeoutMs: 600_000 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const p = urlOf(participant);
    const reg = await call('POST', `/v1/transactions/${gid}/branches`, CLIENT, {
      branchId: 'b1',
      confirm: `${p}/${gid}/confirm`,
      cancel: `${p}/${gid}/cancel`,
    });
    assert.equal(reg.status, 200);
    return created.json['transaction'] as Json;
  }

  it('whoami names the token and its role; a bad token is refused', async () => {
    assert.deepEqual((await call('GET', '/v1/whoami')).json, { name: 'alice', role: 'admin' });
    // Without ACCORD_ADMIN_TOKEN the client token holds both roles.
    assert.deepEqual((await call('GET', '/v1/whoami', CLIENT)).json, {
      name: 'client',
      role: 'admin',
    });
    assert.deepEqual((await call('GET', '/v1/whoami', 'bob-token-0123456789')).json, {
      name: 'bob',
      role: 'client',
    });
    assert.equal((await call('GET', '/v1/whoami', 'nope-nope-nope-nope')).status, 401);
  });

  it('a paused transaction is not driven; resume drives it at once; both are audited', async () => {
    const tx = await tcc('op-pause-1', { team: 'pay', order: '7' });
    assert.deepEqual(tx['labels'], { team: 'pay', order: '7' });
    assert.equal(tx['paused'], false);
    const refused = await call(
      'POST',
      '/v1/transactions/op-pause-1/pause',
      'bob-token-0123456789',
      {
        reason: 'x',
      },
    );
    assert.equal(refused.status, 403);
    const paused = await call('POST', '/v1/transactions/op-pause-1/pause', ALICE, {
      reason: 'participant under repair',
    });
    assert.equal(paused.status, 200);
    assert.equal(paused.json['transaction']['paused'], true);
    const submitted = await call('POST', '/v1/transactions/op-pause-1/submit', CLIENT, {});
    assert.equal(submitted.json['transaction']['status'], 'submitted');
    // Many recovery polls (20 ms apart) pass: none may call the paused transaction's confirm.
    for (let i = 0; i < 10; i += 1) {
      await server.engine.list({ limit: 1 });
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.deepEqual(
      calls.filter((c) => c.startsWith('/op-pause-1/')),
      [],
    );
    const resumed = await call('POST', '/v1/transactions/op-pause-1/resume', ALICE, {
      reason: 'repaired',
    });
    assert.equal(resumed.status, 200);
    await waitFor(
      async () =>
        (await call('GET', '/v1/transactions/op-pause-1')).json['transaction']['status'] ===
        'succeeded',
      { what: 'the resumed transaction to succeed' },
    );
    assert.deepEqual(
      calls.filter((c) => c.startsWith('/op-pause-1/')),
      ['/op-pause-1/confirm'],
    );
    const { json } = await call('GET', '/v1/transactions/op-pause-1');
    const audit = (json['history'] as Json[])
      .filter((a) => a['actor'] !== null)
      .map((a) => [a['op'], a['actor'], a['message']]);
    assert.deepEqual(audit, [
      ['pause', 'alice', 'participant under repair'],
      ['resume', 'alice', 'repaired'],
    ]);
    const again = await call('POST', '/v1/transactions/op-pause-1/pause', ALICE, { reason: 'x' });
    assert.equal(again.status, 409);
    assert.equal(again.json['error']['code'], 'INVALID_STATE');
  });

  it('lists by label, paused, gid prefix and stuck, and alerts once for a stuck one', async () => {
    await tcc('op-list-a', { team: 'ship' });
    await tcc('op-list-b', { team: 'ship', region: 'eu' });
    await call('POST', '/v1/transactions/op-list-b/pause', ALICE, { reason: 'hold' });
    const gids = async (query: string) =>
      ((await call('GET', `/v1/transactions?${query}`, CLIENT)).json['items'] as Json[]).map(
        (t) => t['gid'],
      );
    assert.deepEqual(await gids('label=team=ship'), ['op-list-b', 'op-list-a']);
    assert.deepEqual(await gids('label=team=ship&label=region=eu'), ['op-list-b']);
    assert.deepEqual(await gids('label=team=ship&paused=true'), ['op-list-b']);
    assert.deepEqual(await gids('gidPrefix=op-list-&paused=false'), ['op-list-a']);
    const bad = await call('GET', '/v1/transactions?label=Team', CLIENT);
    assert.equal(bad.status, 400);
    // tcc counts as stuck after 1 s here.
    await waitFor(async () => (await gids('stuck=true&gidPrefix=op-list-')).length === 2, {
      timeoutMs: 10_000,
      what: 'the prepared tcc transactions to count as stuck',
    });
    await waitFor(() => alerts.some((a) => a['kind'] === 'stuck' && a['gid'] === 'op-list-a'), {
      what: 'the stuck alert',
    });
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /accord_transactions_stuck\{mode="tcc"\} [1-9]/);
    // More checks run: still one alert per transaction.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alerts.filter((a) => a['kind'] === 'stuck' && a['gid'] === 'op-list-a').length, 1);
  });

  it('bulk counts first, then applies, reporting per-gid failures', async () => {
    await tcc('op-bulk-1', { batch: 'z' });
    await tcc('op-bulk-2', { batch: 'z' });
    await call('POST', '/v1/transactions/op-bulk-2/resolve', ALICE, {
      status: 'failed',
      reason: 'by hand',
    });
    const body = { action: 'pause', filter: { label: 'batch=z' }, reason: 'incident 12' };
    const dry = await call('POST', '/v1/bulk', ALICE, { ...body, dryRun: true });
    assert.deepEqual(dry.json, { matched: 2, applied: 0, failed: [] });
    assert.equal(
      (await call('GET', '/v1/transactions/op-bulk-1')).json['transaction']['paused'],
      false,
    );
    const done = await call('POST', '/v1/bulk', ALICE, { ...body, dryRun: false });
    assert.equal(done.json['matched'], 2);
    assert.equal(done.json['applied'], 1);
    assert.deepEqual(
      (done.json['failed'] as Json[]).map((f) => [f['gid'], f['code']]),
      [['op-bulk-2', 'INVALID_STATE']],
    );
    assert.equal(
      (await call('GET', '/v1/transactions/op-bulk-1')).json['transaction']['paused'],
      true,
    );
    const noStatus = await call('POST', '/v1/bulk', ALICE, {
      action: 'resolve',
      filter: {},
      reason: 'r',
      dryRun: true,
    });
    assert.equal(noStatus.status, 400);
    assert.equal(
      (await call('POST', '/v1/bulk', 'bob-token-0123456789', { ...body, dryRun: true })).status,
      403,
    );
  });
});
