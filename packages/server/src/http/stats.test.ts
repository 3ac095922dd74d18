import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StatsReply } from '@accord/core/schemas';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { UI_CONTENT_SECURITY_POLICY } from './routes/ui.js';

const env = (dir: string, extra: Record<string, string> = {}) =>
  loadConfig({}, { ACCORD_DATA_DIR: dir, ACCORD_PORT: '0', ACCORD_LOG_LEVEL: 'silent', ...extra });

describe('GET /v1/stats', () => {
  const dir = tempDir('accord-stats-');
  let server: RunningServer;
  // A participant that takes every call (`/ok`) or refuses it (`/no`, 409).
  const participant = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(req.url === '/no' ? 409 : 200).end());
  });
  let target = '';

  before(async () => {
    await new Promise<void>((resolve) => participant.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${(participant.address() as AddressInfo).port}`;
    server = await startServer(env(dir.path));
  });
  after(async () => {
    await server.close();
    participant.close();
    dir.remove();
  });

  const stats = async () => {
    const res = await server.app.inject({ url: '/v1/stats' });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<StatsReply>();
  };

  it('lists this instance, from its heartbeat in the store', async () => {
    const reply = await stats();
    assert.equal(reply.store, 'sqlite');
    assert.equal(reply.instances.length, 1);
    assert.equal(reply.instances[0]?.self, true);
    assert.equal(reply.dueLagMs, 0);
  });

  it('counts ended transactions per minute and mode, and branch-call latency', async () => {
    const saga = (gid: string, path: string) =>
      server.app.inject({
        method: 'POST',
        url: '/v1/transactions',
        payload: {
          gid,
          mode: 'saga',
          steps: [{ action: `${target}${path}`, compensate: `${target}/ok` }],
          waitResult: true,
        },
      });
    assert.equal((await saga('stats-ok', '/ok')).statusCode, 201);
    assert.equal((await saga('stats-no', '/no')).statusCode, 201);
    const reply = await waitFor(async () => {
      const s = await stats();
      const saga = s.activity.filter((row) => row.mode === 'saga');
      const ended = saga.reduce((n, row) => n + row.succeeded + row.failed, 0);
      return ended === 2 ? s : undefined;
    });
    const rows = reply.activity.filter((row) => row.mode === 'saga');
    assert.equal(
      rows.reduce((n, row) => n + row.failed, 0),
      1,
    );
    assert.equal(
      rows.reduce((n, row) => n + row.callFailures, 0),
      1,
      'the refused action',
    );
    assert.ok(reply.latency.calls >= 3, 'action, refused action, compensation');
    assert.ok(reply.latency.p50Ms !== null && reply.latency.p99Ms !== null);
    assert.ok(reply.latency.p99Ms >= reply.latency.p50Ms);
    assert.deepEqual(reply.live, [], 'nothing is left running');
  });
});

describe('the web UI routes', () => {
  const dir = tempDir('accord-ui-');
  const root = join(dir.path, 'dist');
  let on: RunningServer;
  let off: RunningServer;

  before(async () => {
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Accord</title>');
    writeFileSync(join(root, 'assets', 'app-1.js'), 'export {};');
    on = await startServer(env(join(dir.path, 'on')), { uiRoot: root });
    off = await startServer(env(join(dir.path, 'off'), { ACCORD_UI: 'off' }), { uiRoot: root });
  });
  after(async () => {
    await on.close();
    await off.close();
    dir.remove();
  });

  it('redirects / and /ui to /ui/', async () => {
    for (const url of ['/', '/ui']) {
      const res = await on.app.inject({ url });
      assert.equal(res.statusCode, 302, url);
      assert.equal(res.headers['location'], '/ui/');
    }
  });

  it('serves the page and its assets with a strict Content-Security-Policy', async () => {
    const page = await on.app.inject({ url: '/ui/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['content-security-policy'], UI_CONTENT_SECURITY_POLICY);
    assert.doesNotMatch(UI_CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    const asset = await on.app.inject({ url: '/ui/assets/app-1.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.match(String(asset.headers['cache-control']), /immutable/);
  });

  it('answers 404 in the error shape for a missing asset or a path outside the folder', async () => {
    for (const url of ['/ui/assets/nope.js', '/ui/assets/..%2Findex.html', '/ui/../package.json']) {
      const res = await on.app.inject({ url });
      assert.ok([400, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
      assert.ok(res.json<{ error: { code: string } }>().error.code, url);
    }
  });

  it('is not served with ACCORD_UI=off', async () => {
    for (const url of ['/', '/ui', '/ui/']) {
      assert.equal((await off.app.inject({ url })).statusCode, 404, url);
    }
  });
});
