/**
 * DTM topics end to end, over HTTP against an `accord serve` process: subscribers join
 * with DTM's GET form and the admin token, a client sends two-phase messages to the
 * topic with the client token, every subscriber gets each message, and the topic is still
 * there after the coordinator restarts on the same store.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { CoordinatorProcess, FAST_ENV } from '../support/coordinator-process.js';

const ADMIN = 'e2e-admin-token-topics';
const CLIENT = 'e2e-client-token-topics';

/** A subscriber on loopback that records the bodies it receives, per gid. */
class Subscriber {
  readonly received: Array<{ gid: string; body: string }> = [];
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const gid = new URL(req.url ?? '/', 'http://s').searchParams.get('gid') ?? '';
      this.received.push({ gid, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"dtm_result":"SUCCESS"}');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/paid`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  bodiesOf(gid: string): string[] {
    return this.received.filter((r) => r.gid === gid).map((r) => r.body);
  }
}

describe('DTM topics against a coordinator process', () => {
  const dir = tempDir('accord-dtm-topics-e2e-');
  const coordinator = new CoordinatorProcess({
    dataDir: dir.path,
    env: { ...FAST_ENV, ACCORD_TOKEN: CLIENT, ACCORD_ADMIN_TOKEN: ADMIN },
  });
  const ledger = new Subscriber();
  const mailer = new Subscriber();

  before(async () => {
    await Promise.all([ledger.start(), mailer.start(), coordinator.start()]);
  });
  after(async () => {
    await coordinator.stop();
    await Promise.all([ledger.stop(), mailer.stop()]);
    dir.remove();
  });

  async function dtm(method: string, path: string, token: string, body?: unknown) {
    const res = await fetch(`${coordinator.url}/api/dtmsvr/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function send(payload: string): Promise<string> {
    const gid = (await dtm('GET', 'newGid', CLIENT)).json['gid'] as string;
    const submitted = await dtm('POST', 'submit', CLIENT, {
      gid,
      trans_type: 'msg',
      steps: [{ action: 'topic://order.paid' }],
      payloads: [payload],
    });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.json));
    await waitFor(
      async () => {
        const q = await dtm('GET', `query?gid=${gid}`, CLIENT);
        return (q.json['transaction'] as { status?: string } | null)?.status === 'succeed';
      },
      { what: `${gid} to succeed` },
    );
    return gid;
  }

  it('delivers every message to every subscriber, before and after a restart', async () => {
    for (const s of [ledger, mailer]) {
      const query = new URLSearchParams({
        topic: 'order.paid',
        url: s.url,
        remark: 'e2e',
      }).toString();
      assert.equal((await dtm('GET', `subscribe?${query}`, CLIENT)).status, 403);
      assert.deepEqual((await dtm('GET', `subscribe?${query}`, ADMIN)).json, {
        dtm_result: 'SUCCESS',
      });
    }
    const first = await send('{"order":1}');
    assert.deepEqual(ledger.bodiesOf(first), ['{"order":1}']);
    assert.deepEqual(mailer.bodiesOf(first), ['{"order":1}']);

    await coordinator.stop();
    await coordinator.start();
    const second = await send('{"order":2}');
    assert.deepEqual(ledger.bodiesOf(second), ['{"order":2}']);
    assert.deepEqual(mailer.bodiesOf(second), ['{"order":2}']);

    const gone = await dtm('POST', 'unsubscribe', ADMIN, { topic: 'order.paid', url: mailer.url });
    assert.equal(gone.status, 200);
    const third = await send('{"order":3}');
    assert.deepEqual(ledger.bodiesOf(third), ['{"order":3}']);
    assert.deepEqual(mailer.bodiesOf(third), []);
  });
});
