import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';

/** How a participant resource answers: a fixed status, or a list used up in order. */
type Script = number[];

/** Participant resources under one server: each path answers as scripted; calls recorded. */
class Participants {
  readonly calls: Array<{ path: string; method: string; accept: string; type: string }> = [];
  readonly scripts = new Map<string, Script>();
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '';
      this.calls.push({
        path,
        method: req.method ?? '',
        accept: String(req.headers.accept),
        type: String(req.headers['content-type']),
      });
      const script = this.scripts.get(path) ?? [204];
      const status = script.length > 1 ? script.shift()! : script[0]!;
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  /** A link to a fresh resource answering `script`, expiring in `ms`. */
  link(name: string, script: Script, ms = 60_000): { uri: string; expires: string } {
    const path = `/${name}-${Math.random().toString(36).slice(2)}`;
    this.scripts.set(path, script);
    return { uri: `${this.base}${path}`, expires: new Date(Date.now() + ms).toISOString() };
  }

  of(link: { uri: string }): string[] {
    const path = new URL(link.uri).pathname;
    return this.calls.filter((c) => c.path === path).map((c) => c.method);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('TCC for REST coordinator', () => {
  const dir = tempDir('accord-tcc-rest-');
  const participants = new Participants();
  let server: RunningServer;

  before(async () => {
    await participants.start();
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_POLL_INTERVAL_MS: '20',
          ACCORD_RETRY_FIRST_MS: '50',
          ACCORD_RETRY_MAX_MS: '200',
          ACCORD_TCC_REST_MARGIN_MS: '500',
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    await participants.stop();
    dir.remove();
  });

  function put(action: 'confirm' | 'cancel', links: unknown[], type = 'application/tcc+json') {
    return server.app.inject({
      method: 'PUT',
      url: `/tcc/coordinator/${action}`,
      headers: { 'content-type': type },
      payload: JSON.stringify({ participantLinks: links }),
    });
  }

  it('confirms every link with PUT application/tcc and answers 204; a repeat answers the same', async () => {
    const a = participants.link('a', [204]);
    const b = participants.link('b', [200]);
    const res = await put('confirm', [a, b]);
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual([participants.of(a), participants.of(b)], [['PUT'], ['PUT']]);
    const call = participants.calls.find((c) => a.uri.endsWith(c.path));
    assert.deepEqual([call?.accept, call?.type], ['application/tcc', 'application/tcc']);
    const again = await put('confirm', [b, a]);
    assert.equal(again.statusCode, 204);
    assert.deepEqual(participants.of(a), ['PUT'], 'the decision is not taken twice');
  });

  it('is visible in /v1 with its mode and branches', async () => {
    const a = participants.link('v', [204]);
    await put('confirm', [a]);
    const list = await server.app.inject({ url: '/v1/transactions?mode=tcc-rest' });
    const items = list.json<{ items: Array<{ gid: string; status: string }> }>().items;
    assert.ok(items.length >= 1);
    const shown = await server.app.inject({ url: `/v1/transactions/${items[0]!.gid}` });
    const tx = shown.json<{ transaction: { mode: string; branches: Array<{ op: string }> } }>();
    assert.equal(tx.transaction.mode, 'tcc-rest');
    assert.deepEqual(tx.transaction.branches.map((b) => b.op).sort(), ['cancel', 'confirm']);
  });

  it('answers 404 when every participant is gone', async () => {
    const res = await put('confirm', [
      participants.link('g1', [404]),
      participants.link('g2', [404]),
    ]);
    assert.equal(res.statusCode, 404, res.body);
  });

  it('answers 409 with each outcome when some confirmed and some did not', async () => {
    const ok = participants.link('ok', [204]);
    const gone = participants.link('gone', [404]);
    const res = await put('confirm', [ok, gone]);
    assert.equal(res.statusCode, 409, res.body);
    const body = res.json<{ participantLinks: Array<{ uri: string; outcome: string }> }>();
    const outcomes = Object.fromEntries(body.participantLinks.map((l) => [l.uri, l.outcome]));
    assert.deepEqual(outcomes, { [ok.uri]: 'confirmed', [gone.uri]: 'cancelled' });
  });

  it('retries an unknown answer until the participant answers', async () => {
    const flaky = participants.link('flaky', [500, 503, 204]);
    const res = await put('confirm', [flaky]);
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual(participants.of(flaky), ['PUT', 'PUT', 'PUT']);
  });

  it('reports a participant that never answers before its expiry as timed out (409)', async () => {
    const ok = participants.link('fine', [204]);
    const dead = participants.link('dead', [500], 1_500);
    const res = await put('confirm', [ok, dead]);
    assert.equal(res.statusCode, 409, res.body);
    const body = res.json<{ participantLinks: Array<{ uri: string; outcome: string }> }>();
    assert.equal(body.participantLinks.find((l) => l.uri === dead.uri)?.outcome, 'timed-out');
  });

  it('cancels everything and answers 404 when a link expires within the safety margin', async () => {
    const later = participants.link('later', [204]);
    const soon = participants.link('soon', [204], 100);
    const res = await put('confirm', [later, soon]);
    assert.equal(res.statusCode, 404, res.body);
    assert.deepEqual([participants.of(later), participants.of(soon)], [['DELETE'], ['DELETE']]);
  });

  it('cancels with DELETE and answers 204, a gone participant included', async () => {
    const a = participants.link('c1', [204]);
    const b = participants.link('c2', [404]);
    const res = await put('cancel', [a, b]);
    assert.equal(res.statusCode, 204, res.body);
    assert.deepEqual([participants.of(a), participants.of(b)], [['DELETE'], ['DELETE']]);
    const confirm = await put('confirm', [a, b]);
    assert.equal(confirm.statusCode, 404, 'a cancelled set cannot be confirmed after');
  });

  it('answers 400 naming a bad link, and calls nobody', async () => {
    const good = participants.link('good', [204]);
    const before = participants.calls.length;
    for (const bad of [
      { uri: 'ftp://example.test/x', expires: good.expires },
      { uri: 'not a uri', expires: good.expires },
      { uri: 'http://169.254.169.254/latest', expires: good.expires },
      { uri: `${participants.base}/x`, expires: 'tomorrow' },
      // Past the range of a Date: once answered 500 (found by the fuzzer).
      { uri: `${participants.base}/y`, expires: 1e308 },
    ]) {
      const res = await put('confirm', [good, bad]);
      assert.equal(res.statusCode, 400, res.body);
      const error = res.json<{ error: { code: string; message: string } }>().error;
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.ok(error.message.includes(bad.uri), error.message);
    }
    assert.equal(participants.calls.length, before);
  });

  it('refuses other media types (415) and an empty list (400)', async () => {
    const link = participants.link('m', [204]);
    assert.equal((await put('confirm', [link], 'text/plain')).statusCode, 415);
    assert.equal((await put('confirm', [])).statusCode, 400);
  });
});

describe('TCC for REST coordinator with a token', () => {
  const dir = tempDir('accord-tcc-rest-auth-');
  let server: RunningServer;

  before(async () => {
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_TOKEN: 'client-token-of-the-tests',
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    dir.remove();
  });

  it('refuses a confirm or cancel without the client token (401)', async () => {
    const expires = new Date(Date.now() + 60_000).toISOString();
    for (const action of ['confirm', 'cancel']) {
      const res = await server.app.inject({
        method: 'PUT',
        url: `/tcc/coordinator/${action}`,
        headers: { 'content-type': 'application/tcc+json' },
        payload: JSON.stringify({ participantLinks: [{ uri: 'http://127.0.0.1:9/r', expires }] }),
      });
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'UNAUTHORIZED');
    }
  });
});
