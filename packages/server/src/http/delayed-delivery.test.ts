/**
 * Delayed delivery through the HTTP API, on an injected clock: msg steps and notifications
 * are not delivered before they fall due, are delivered when they do, and a coordinator
 * restarted in the middle of the delay still delivers them on time.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock, MAX_DELIVERY_DELAY_MS } from '@accord/core';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';

const START = 1_800_000_000_000;
const MINUTE = 60_000;

/** Records every call with the injected clock's time; answers 200. */
class Receiver {
  readonly calls: Array<{ path: string; gid: string; at: number }> = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly clock: ManualClock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const gid = String(
          req.headers['accord-gid'] ?? new URL(req.url ?? '/', 'http://x').searchParams.get('gid'),
        );
        this.calls.push({ path: (req.url ?? '').split('?')[0] ?? '', gid, at: this.clock.now() });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"dtm_result":"SUCCESS"}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  of(gid: string) {
    return this.calls.filter((c) => c.gid === gid);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('delayed delivery (server, injected clock)', () => {
  const clock = new ManualClock(START);
  const dir = tempDir('accord-delay-');
  const receiver = new Receiver(clock);
  let server: RunningServer;

  const start = () =>
    startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_POLL_INTERVAL_MS: '10',
        },
      ),
      { clock },
    );

  before(async () => {
    await receiver.start();
    server = await start();
  });
  after(async () => {
    await server.close();
    await receiver.stop();
    dir.remove();
  });

  async function post(url: string, payload: unknown) {
    const res = await server.app.inject({ method: 'POST', url, payload: payload as object });
    return { status: res.statusCode, json: res.json<Record<string, unknown>>() };
  }
  const issues = (json: Record<string, unknown>) =>
    (
      (json['error'] as { details?: { issues?: Array<{ path: string; message: string }> } }).details
        ?.issues ?? []
    ).map((i) => `${i.path}: ${i.message}`);

  async function transaction(gid: string) {
    const res = await server.app.inject({ url: `/v1/transactions/${gid}` });
    return res.json<{
      transaction: {
        status: string;
        nextAttemptAt: string | null;
        options: { delayMs?: number; deliverAt?: string };
        branches: Array<{ nextAttemptAt: string }>;
      };
    }>().transaction;
  }

  /** The clock moves only once the coordinator has let the transaction go (stored, idle). */
  async function stored(gid: string, status: string) {
    await waitFor(async () => (await transaction(gid)).status === status, {
      what: `${gid} ${status}`,
    });
  }

  /** Nothing arrives for a while: the engine polls every 10 ms, so 150 ms is many chances. */
  async function nothingFor(gid: string, n: number) {
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(receiver.of(gid).length, n, `no delivery of ${gid} yet`);
  }

  it('refuses bad delays with a 400 naming the field and the limit', async () => {
    const msg = (options: Record<string, unknown>, mode = 'msg') =>
      post('/v1/transactions', {
        mode,
        checkUrl: `${receiver.url}/check`,
        steps: [{ action: `${receiver.url}/a` }],
        options,
      });
    const both = await msg({ delayMs: 1_000, deliverAt: '2030-01-01T00:00:00Z' });
    assert.equal(both.status, 400);
    assert.deepEqual(issues(both.json), [
      '/options/deliverAt: give either delayMs or deliverAt, not both',
    ]);
    const far = await msg({ delayMs: MAX_DELIVERY_DELAY_MS + 1 });
    assert.equal(far.status, 400);
    assert.match(issues(far.json).join(), /\/options\/delayMs: .*2592000000/);
    const farAt = new Date(START + MAX_DELIVERY_DELAY_MS + MINUTE).toISOString();
    const late = await msg({ deliverAt: farAt });
    assert.deepEqual(issues(late.json), [
      '/options/deliverAt: is more than 30 days ahead (the longest delay is 2592000000 ms)',
    ]);
    const zoneless = await msg({ deliverAt: '2030-01-01T00:00:00' });
    assert.equal(zoneless.status, 400);
    assert.match(issues(zoneless.json).join(), /\/options\/deliverAt/);
    const saga = await msg({ delayMs: 1_000 }, 'saga');
    assert.equal(saga.status, 400);
    assert.match(issues(saga.json).join(), /\/options\/delayMs: is only used by msg/);
    const note = await post('/v1/notifications', {
      url: `${receiver.url}/n`,
      delayMs: 5,
      deliverAt: '2030-01-01T00:00:00Z',
    });
    assert.deepEqual(issues(note.json), ['/deliverAt: give either delayMs or deliverAt, not both']);
  });

  it('delivers a delayed msg no earlier than its due time after the submit', async () => {
    const gid = 'delayed-msg-1';
    const created = await post('/v1/transactions', {
      gid,
      mode: 'msg',
      checkUrl: `${receiver.url}/check`,
      steps: [{ action: `${receiver.url}/a` }, { action: `${receiver.url}/b` }],
      options: { delayMs: 10 * MINUTE, timeoutMs: 3_600_000 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    clock.advance(MINUTE); // the submit comes a minute after the prepare
    const submitAt = clock.now();
    assert.equal((await post(`/v1/transactions/${gid}/submit`, {})).status, 200);
    const due = submitAt + 10 * MINUTE;
    const shown = await transaction(gid);
    assert.equal(shown.options.delayMs, 10 * MINUTE);
    assert.equal(shown.nextAttemptAt, new Date(due).toISOString());
    assert.deepEqual(
      shown.branches.map((b) => b.nextAttemptAt),
      [new Date(due).toISOString(), new Date(due).toISOString()],
    );
    clock.set(due - 1);
    await nothingFor(gid, 0);
    clock.set(due);
    await stored(gid, 'succeeded');
    assert.deepEqual(
      receiver.of(gid).map((c) => [c.path, c.at]),
      [
        ['/a', due],
        ['/b', due],
      ],
    );
  });

  it('a coordinator restarted in the middle of the delay delivers at the due time', async () => {
    const gid = 'delayed-msg-restart';
    const deliverAt = new Date(clock.now() + 20 * MINUTE).toISOString();
    await post('/v1/transactions', {
      gid,
      mode: 'msg',
      checkUrl: `${receiver.url}/check`,
      steps: [{ action: `${receiver.url}/a` }],
      options: { deliverAt, timeoutMs: 3_600_000 },
    });
    await post(`/v1/transactions/${gid}/submit`, {});
    assert.equal((await transaction(gid)).options.deliverAt, deliverAt);
    clock.advance(10 * MINUTE);
    await nothingFor(gid, 0);
    await server.close();
    server = await start();
    clock.set(Date.parse(deliverAt) - 1);
    await nothingFor(gid, 0);
    clock.set(Date.parse(deliverAt));
    await stored(gid, 'succeeded');
    assert.deepEqual(
      receiver.of(gid).map((c) => c.at),
      [Date.parse(deliverAt)],
    );
  });

  it("makes a delayed notification's first attempt at its due time, its schedule from there", async () => {
    const id = 'delayed-note-1';
    const createdAt = clock.now();
    const created = await post('/v1/notifications', {
      id,
      url: `${receiver.url}/n`,
      delayMs: 30 * MINUTE,
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const due = createdAt + 30 * MINUTE;
    const res = await server.app.inject({ url: `/v1/notifications/${id}` });
    const { notification } = res.json<{
      notification: { deliverAt: string; nextAttemptAt: string };
    }>();
    assert.equal(notification.deliverAt, new Date(due).toISOString());
    assert.equal(notification.nextAttemptAt, new Date(due).toISOString());
    clock.set(due - 1);
    await nothingFor(id, 0);
    clock.set(due);
    await waitFor(() => receiver.of(id).length === 1, { what: 'the delayed first delivery' });
    assert.equal(receiver.of(id)[0]?.at, due);
  });

  it('maps DTM msg custom_data.delay (seconds after the submit) onto the delay', async () => {
    const gid = 'dtm-delayed-1';
    const submitAt = clock.now();
    const res = await fetch(`${server.url}/api/dtmsvr/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        gid,
        trans_type: 'msg',
        steps: [{ action: `${receiver.url}/dtm-a` }],
        payloads: ['{"x":1}'],
        custom_data: JSON.stringify({ delay: 90 }),
      }),
    });
    assert.equal(res.status, 200, await res.text());
    const due = submitAt + 90_000;
    await waitFor(
      async () => (await transaction(gid)).nextAttemptAt === new Date(due).toISOString(),
      {
        what: 'the DTM message stored with its due time',
      },
    );
    clock.set(due - 1);
    await nothingFor(gid, 0);
    clock.set(due);
    await stored(gid, 'succeeded');
    assert.deepEqual(
      receiver.of(gid).map((c) => c.at),
      [due],
    );
  });
});
