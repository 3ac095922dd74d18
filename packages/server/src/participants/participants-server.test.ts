/**
 * Participants on a real coordinator calling a real HTTP participant: a paused one gets
 * nothing (the op stays pending, no attempt, no failure) until resumed, then the saga
 * finishes; a concurrency cap bounds the calls open at the participant; and a pause made
 * through one coordinator holds the calls of another on the same PostgreSQL store.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createTempSchema, requireService, tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

const WAIT = { timeoutMs: 60_000 };

/** An HTTP participant that answers 200 after `delayMs`, counting calls and the most open at once. */
class Participant {
  calls = 0;
  open = 0;
  mostOpen = 0;
  delayMs = 0;
  private server: Server | undefined;
  host = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.calls += 1;
      this.open += 1;
      this.mostOpen = Math.max(this.mostOpen, this.open);
      req.resume();
      setTimeout(() => {
        this.open -= 1;
        res.writeHead(200).end('{}');
      }, this.delayMs);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

function start(dir: string, env: Record<string, string>): Promise<RunningServer> {
  const config = loadConfig(
    {},
    {
      ACCORD_DATA_DIR: dir,
      ACCORD_PORT: '0',
      ACCORD_POLL_INTERVAL_MS: '20',
      ACCORD_PARTICIPANT_HOLD_MS: '200',
      ...env,
    },
  );
  return startServer(config, { logger: pino({ level: 'silent' }) });
}

async function api(server: RunningServer, method: 'GET' | 'POST', url: string, body?: object) {
  const res = await server.app.inject({ method, url, ...(body ? { payload: body } : {}) });
  return { status: res.statusCode, json: res.json<Record<string, unknown>>() };
}

interface Item {
  host: string;
  calls: number;
  held: number;
  inFlight: number;
  paused: boolean;
  pausedBy: string | null;
  pauseReason: string | null;
}

async function participant(server: RunningServer, host: string): Promise<Item | undefined> {
  const { json } = await api(server, 'GET', '/v1/participants');
  return (json['items'] as Item[]).find((i) => i.host === host);
}

function saga(gid: string, host: string, steps = 1) {
  return {
    gid,
    mode: 'saga',
    steps: Array.from({ length: steps }, (_, i) => ({ action: `http://${host}/s${i}` })),
  };
}

/** A paused participant's saga: held (nothing sent, nothing counted) until resumed, then done. */
async function pauseHoldsUntilResumed(
  pauser: RunningServer,
  caller: RunningServer,
  p: Participant,
  gid: string,
): Promise<void> {
  const paused = await api(pauser, 'POST', `/v1/participants/${p.host}/pause`, {
    reason: 'deploying',
  });
  assert.equal(paused.status, 200, JSON.stringify(paused.json));
  assert.equal(paused.json['paused'], true);
  assert.equal(paused.json['pausedBy'], 'local', 'with auth off the actor is local');
  assert.equal(paused.json['pauseReason'], 'deploying');
  await waitFor(async () => (await participant(caller, p.host))?.paused === true, WAIT);

  const created = await api(caller, 'POST', '/v1/transactions', saga(gid, p.host, 2));
  assert.equal(created.status, 201, JSON.stringify(created.json));
  // Held at least twice: once at create, and again when it fell due while still paused.
  const firstDue = (await caller.store.get(gid))!.ops[0]!.nextAttemptAt;
  await waitFor(async () => {
    const s = await caller.store.get(gid);
    return s !== undefined && s.ops[0]!.nextAttemptAt > firstDue && s.tx.leaseOwner === null;
  }, WAIT);
  assert.ok(((await participant(caller, p.host))?.held ?? 0) >= 1, 'the call shows as held');
  const held = (await caller.store.get(gid))!;
  assert.equal(p.calls, 0, 'the paused participant got no call');
  assert.equal(held.tx.status, 'submitted');
  assert.equal(held.tx.parked, false);
  assert.deepEqual(
    held.ops.map((o) => [o.status, o.attempts, o.failures, o.lastError]),
    [
      ['pending', 0, 0, null],
      ['pending', 0, 0, null],
    ],
  );
  assert.deepEqual(await caller.store.history(gid), [], 'no attempt recorded');

  const resumed = await api(caller, 'POST', `/v1/participants/${p.host}/resume`, {
    reason: 'deployed',
  });
  assert.equal(resumed.status, 200, JSON.stringify(resumed.json));
  assert.equal(resumed.json['paused'], false);
  const done = await waitFor(async () => {
    const s = await caller.store.get(gid);
    return s?.tx.status === 'succeeded' ? s : undefined;
  }, WAIT);
  assert.deepEqual(
    done.ops.map((o) => o.attempts),
    [1, 1],
  );
  assert.equal(p.calls, 2);
}

describe('participants on a running coordinator', () => {
  it('holds the calls of a paused participant, then finishes the saga once resumed', async () => {
    const dir = tempDir('accord-participants-');
    const p = new Participant();
    await p.start();
    const server = await start(dir.path, {});
    try {
      await pauseHoldsUntilResumed(server, server, p, 'paused-saga');
      const listed = await participant(server, p.host);
      assert.deepEqual(listed && [listed.calls, listed.held, listed.paused], [2, 0, false]);
      const metrics = (await server.app.inject({ url: '/metrics' })).body;
      assert.match(
        metrics,
        new RegExp(`accord_participant_calls_total\\{host="${p.host}",outcome="success"\\} 2`),
      );
      assert.match(
        metrics,
        new RegExp(`accord_participant_call_seconds_count\\{host="${p.host}"\\} 2`),
      );
    } finally {
      await server.close();
      await p.stop();
      dir.remove();
    }
  });

  it('refuses a pause without the admin token, without a reason, or of a host without a port', async () => {
    const dir = tempDir('accord-participants-');
    const server = await start(dir.path, {
      ACCORD_TOKEN: 'client-token-1234567890',
      ACCORD_ADMIN_TOKEN: 'admin-token-1234567890',
    });
    try {
      const as = (token: string, url: string, payload: object) =>
        server.app.inject({
          method: 'POST',
          url,
          payload,
          headers: { authorization: `Bearer ${token}` },
        });
      const client = await as('client-token-1234567890', '/v1/participants/a:1/pause', {
        reason: 'x',
      });
      assert.equal(client.statusCode, 403);
      const noReason = await as('admin-token-1234567890', '/v1/participants/a:1/pause', {});
      assert.equal(noReason.statusCode, 400);
      const noPort = await as('admin-token-1234567890', '/v1/participants/a/pause', {
        reason: 'x',
      });
      assert.equal(noPort.statusCode, 400);
      const badPort = await as('admin-token-1234567890', '/v1/participants/a:70000/pause', {
        reason: 'x',
      });
      assert.equal(badPort.statusCode, 400);
      assert.match(badPort.body, /\/host: the port must be 1-65535/);
    } finally {
      await server.close();
      dir.remove();
    }
  });

  it('keeps at most the concurrency cap of calls open at a participant', async () => {
    const dir = tempDir('accord-participants-');
    const p = new Participant();
    p.delayMs = 100;
    await p.start();
    const server = await start(dir.path, { ACCORD_PARTICIPANT_CAPS: `${p.host}=2/-` });
    try {
      const gids = Array.from({ length: 12 }, (_, i) => `capped-${i}`);
      await Promise.all(
        gids.map(async (gid) => {
          const res = await api(server, 'POST', '/v1/transactions', saga(gid, p.host));
          assert.equal(res.status, 201);
        }),
      );
      await waitFor(async () => {
        const all = await Promise.all(gids.map((gid) => server.store.get(gid)));
        return all.every((s) => s?.tx.status === 'succeeded');
      }, WAIT);
      assert.equal(p.mostOpen, 2, 'the cap was reached and never passed');
      assert.equal(p.calls, 12);
      const item = await participant(server, p.host);
      assert.deepEqual(item && [item.calls, item.inFlight], [12, 0]);
    } finally {
      await server.close();
      await p.stop();
      dir.remove();
    }
  });

  it('shares a pause between two coordinators on one PostgreSQL store', async (t) => {
    const skip = await requireService('postgres');
    if (skip) return t.skip(skip);
    const schema = await createTempSchema('accord_participants');
    const dirs = [tempDir('accord-participants-'), tempDir('accord-participants-')];
    const p = new Participant();
    await p.start();
    const servers: RunningServer[] = [];
    try {
      for (const dir of dirs) servers.push(await start(dir.path, { ACCORD_STORE: schema.url }));
      const [a, b] = servers as [RunningServer, RunningServer];
      await pauseHoldsUntilResumed(a, b, p, 'shared-pause');
      await waitFor(async () => (await participant(a, p.host))?.paused === false, WAIT);
    } finally {
      for (const server of servers) await server.close();
      await p.stop();
      for (const dir of dirs) dir.remove();
      await schema.drop();
    }
  });
});
