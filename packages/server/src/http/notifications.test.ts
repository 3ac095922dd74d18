import assert from 'node:assert/strict';
import { verifySignature } from '@accord/client/participant';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '@accord/core';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';

const START = 1_800_000_000_000;

/** A receiver whose answers are scripted per notification id; records every delivery. */
class Receiver {
  readonly deliveries: Array<{ id: string; at: number; body: string; signature: string }> = [];
  readonly answers = new Map<string, Array<{ status: number; body: string }>>();
  private server: Server | undefined;
  url = '';

  constructor(private readonly clock: ManualClock) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const id = String(req.headers['accord-gid']);
        this.deliveries.push({
          id,
          at: this.clock.now(),
          body,
          signature: String(req.headers['accord-signature'] ?? ''),
        });
        const next = this.answers.get(id)?.shift() ?? { status: 200, body: 'success' };
        res.writeHead(next.status, { 'content-type': 'text/plain' }).end(next.body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  of(id: string) {
    return this.deliveries.filter((d) => d.id === id);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('best-effort notifications (server, injected clock)', () => {
  const clock = new ManualClock(START);
  const dir = tempDir('accord-notify-');
  const receiver = new Receiver(clock);
  const alerts: Array<Record<string, unknown>> = [];
  const alertServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      res.end();
    });
  });
  let server: RunningServer;

  before(async () => {
    await receiver.start();
    await new Promise<void>((resolve) => alertServer.listen(0, '127.0.0.1', resolve));
    const alertUrl = `http://127.0.0.1:${(alertServer.address() as AddressInfo).port}/alerts`;
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_POLL_INTERVAL_MS: '10',
          ACCORD_SIGNING_SECRET: 'notify-secret',
          ACCORD_ALERT_URL: alertUrl,
        },
      ),
      { clock },
    );
  });
  after(async () => {
    await server.close();
    await receiver.stop();
    await new Promise<void>((resolve) => alertServer.close(() => resolve()));
    dir.remove();
  });

  async function create(body: Record<string, unknown>) {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      payload: body,
    });
    assert.equal(res.statusCode, 201, res.body);
  }

  async function query(id: string) {
    const res = await server.app.inject({ url: `/v1/notifications/${id}` });
    assert.equal(res.statusCode, 200);
    return res.json<{
      notification: { status: string; attempts: number; lastError: { message: string } | null };
      history: Array<{ outcome: string; httpStatus: number | null }>;
    }>();
  }

  /**
   * Waits until the outcomes of `n` deliveries are recorded. The engine schedules the next
   * delivery from the clock when it records an outcome, so the clock may only move after
   * that: moved earlier (a slow machine), the move is lost and the next delivery never
   * comes.
   */
  async function recorded(id: string, n: number): Promise<void> {
    await waitFor(async () => (await query(id)).history.length >= n, {
      what: `${n} recorded outcomes of ${id}`,
    });
  }

  /** Moves the clock step by step, letting the engine act after each move. */
  async function advanceThrough(delays: readonly number[], id: string): Promise<void> {
    const base = receiver.of(id).length;
    for (const [i, delay] of delays.entries()) {
      await recorded(id, base + i);
      clock.advance(delay);
      const n = base + i + 1;
      await waitFor(() => receiver.of(id).length >= n, { what: `delivery ${n} of ${id}` });
    }
  }

  it('follows the schedule until the receiver answers the exact ack body', async () => {
    const id = 'pay-1';
    const schedule = [15_000, 30_000, 180_000];
    receiver.answers.set(id, [
      { status: 503, body: 'busy' },
      { status: 200, body: 'received, thanks' }, // 2xx, but not the agreed ack
      { status: 409, body: 'later' },
      { status: 200, body: ' success\n' },
    ]);
    await create({
      id,
      url: `${receiver.url}/callback`,
      payload: { orderId: 7 },
      schedule,
      ackBody: 'success',
    });
    await waitFor(() => receiver.of(id).length === 1, { what: 'first delivery' });
    await recorded(id, 1);
    // Not a moment early: just before each scheduled delay passes nothing is delivered.
    clock.advance(schedule[0]! - 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(receiver.of(id).length, 1, 'no delivery before the schedule says so');
    clock.advance(1);
    await waitFor(() => receiver.of(id).length === 2, { what: 'second delivery' });
    await advanceThrough(schedule.slice(1), id);
    await waitFor(async () => (await query(id)).notification.status === 'succeeded', {
      what: 'acknowledged',
    });
    const times = receiver.of(id).map((d) => d.at - START);
    assert.deepEqual(times, [0, 15_000, 45_000, 225_000]);
    const { notification, history } = await query(id);
    assert.equal(notification.attempts, 4);
    assert.deepEqual(
      history.map((h) => [h.outcome, h.httpStatus]),
      [
        ['error', 503],
        ['error', 200],
        ['failure', 409],
        ['success', 200],
      ],
    );
    const first = receiver.of(id)[0]!;
    assert.deepEqual(JSON.parse(first.body), { orderId: 7 });
    verifySignature(
      'notify-secret',
      first.signature,
      { gid: id, branchId: 'notify', op: 'action', mode: 'notify' },
      first.body,
      {
        now: START,
      },
    );
    clock.advance(10 * 3_600_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(receiver.of(id).length, 4, 'nothing after the acknowledgement');
  });

  it('any 2xx acknowledges when no ack body is set', async () => {
    const id = 'plain-1';
    receiver.answers.set(id, [{ status: 204, body: '' }]);
    await create({ id, url: `${receiver.url}/callback` });
    await waitFor(async () => (await query(id)).notification.status === 'succeeded', {
      what: 'acknowledged by a 204',
    });
    assert.equal(receiver.of(id).length, 1);
  });

  it('fails once the schedule is used up, raises an alert, and stays queryable', async () => {
    const id = 'pay-2';
    const schedule = [60_000, 300_000];
    receiver.answers.set(id, [
      { status: 500, body: 'down' },
      { status: 500, body: 'down' },
      { status: 500, body: 'still down' },
      { status: 200, body: 'success' },
    ]);
    await create({ id, url: `${receiver.url}/callback`, schedule });
    await waitFor(() => receiver.of(id).length === 1, { what: 'first delivery' });
    await advanceThrough(schedule, id);
    await waitFor(async () => (await query(id)).notification.status === 'failed', {
      what: 'failed after the schedule',
    });
    const { notification } = await query(id);
    assert.equal(notification.attempts, 3);
    assert.match(notification.lastError?.message ?? '', /still down/);
    await waitFor(() => alerts.some((a) => a['gid'] === id), { what: 'alert webhook call' });
    const alert = alerts.find((a) => a['gid'] === id);
    assert.equal(alert?.['kind'], 'failed');
    assert.equal(alert?.['mode'], 'notify');
    clock.advance(24 * 3_600_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(receiver.of(id).length, 3, 'a failed notification is not delivered again');
  });

  it('uses the wechat preset when asked', async () => {
    const id = 'pay-3';
    receiver.answers.set(id, [{ status: 500, body: 'x' }]);
    await create({ id, url: `${receiver.url}/callback`, schedule: 'wechat' });
    await waitFor(() => receiver.of(id).length === 1, { what: 'first delivery' });
    await recorded(id, 1);
    clock.advance(15_000);
    await waitFor(() => receiver.of(id).length === 2, { what: 'second delivery after 15 s' });
    assert.equal((await query(id)).notification.status, 'succeeded');
  });
});
