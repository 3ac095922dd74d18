import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '@accord/testkit';
import { checkBackHandler } from '../barrier/check-back.js';
import { AccordClient } from '../client/accord-client.js';
import type { CreateTransactionRequest, Transaction } from '../client/wire-types.js';
import { accordHandler } from '../participant/node-handler.js';
import { post } from '../../test-support/handler-conformance.js';
import {
  fakeTransaction,
  startFakeCoordinator,
  type FakeServer,
} from '../../test-support/fake-server.js';
import { accordPublisher } from './accord-publisher.js';
import { sqliteOutbox } from './sqlite-outbox.js';
import type { OutboxMessage } from './types.js';

const message = (id: string): OutboxMessage => ({
  id,
  topic: 'user.created',
  payload: { userId: 'u1' },
  payloadJson: '{"userId":"u1"}',
  headers: {},
  createdAt: 1_700_000_000_000,
  attempt: 1,
});

const options = {
  steps: (m: OutboxMessage) => [
    { action: 'http://points/grant', payload: m.payload },
    { id: 'mail', action: 'http://mail/welcome', payload: m.payload },
  ],
  checkUrl: 'http://signup/accord/outbox-check',
  options: { timeoutMs: 60_000 },
};

describe('accordPublisher', () => {
  let server: FakeServer;
  let client: AccordClient;

  before(async () => {
    server = await startFakeCoordinator();
    client = new AccordClient({ url: server.url });
  });
  after(async () => {
    await client.close();
    await server.close();
  });
  beforeEach(() => {
    server.calls.length = 0;
  });

  const trace = () => server.calls.map((c) => `${c.method} ${c.url}`);

  test('creates a msg whose gid is the outbox id, then submits it', async () => {
    const publisher = accordPublisher(client, options);
    await publisher.publish(message('0192f6c4-5b1e-7a3c-9d2e-4f6a8b0c1d2e'));
    assert.deepEqual(trace(), [
      'POST /v1/transactions',
      'POST /v1/transactions/0192f6c4-5b1e-7a3c-9d2e-4f6a8b0c1d2e/submit',
    ]);
    assert.deepEqual(server.calls[0]?.json, {
      gid: '0192f6c4-5b1e-7a3c-9d2e-4f6a8b0c1d2e',
      mode: 'msg',
      steps: [
        { action: 'http://points/grant', payload: { userId: 'u1' } },
        { id: 'mail', action: 'http://mail/welcome', payload: { userId: 'u1' } },
      ],
      checkUrl: 'http://signup/accord/outbox-check',
      options: { timeoutMs: 60_000 },
    });
  });

  test('a republish sends the very same create, so the coordinator treats it as idempotent', async () => {
    const publisher = accordPublisher(client, options);
    await publisher.publish(message('m-again'));
    await publisher.publish({ ...message('m-again'), attempt: 2 });
    const creates = server.calls.filter((c) => c.url === '/v1/transactions');
    assert.equal(creates.length, 2);
    assert.equal(creates[0]?.text, creates[1]?.text, 'byte-identical bodies');
  });

  test('an already submitted or finished msg is not submitted again; a failed one is an error', async () => {
    const sent: string[] = [];
    const api = (status: Transaction['status']) => ({
      async create(body: CreateTransactionRequest) {
        sent.push(`create ${body.gid ?? ''}`);
        return fakeTransaction({
          gid: body.gid ?? '',
          mode: 'msg',
          status,
          reason: 'checked back: rolled back',
        });
      },
      async submit(gid: string) {
        sent.push(`submit ${gid}`);
        return fakeTransaction({ gid, mode: 'msg', status: 'submitted' });
      },
    });
    await accordPublisher(api('submitted'), options).publish(message('a'));
    await accordPublisher(api('succeeded'), options).publish(message('b'));
    await assert.rejects(accordPublisher(api('failed'), options).publish(message('c')), {
      code: 'PUBLISH_CONFLICT',
      message: /transaction c is failed \(checked back: rolled back\)/,
    });
    assert.deepEqual(sent, ['create a', 'create b', 'create c']);
  });

  test('a coordinator error fails the publish, so the relay retries it', async () => {
    const broken = await startFakeCoordinator({ fail: ['submit'] });
    const brokenClient = new AccordClient({ url: broken.url });
    try {
      await assert.rejects(accordPublisher(brokenClient, options).publish(message('m-x')), {
        code: 'INTERNAL',
      });
    } finally {
      await brokenClient.close();
      await broken.close();
    }
  });

  test('end to end: a relay publishes committed rows, and the check-back answers from the outbox table', async () => {
    const dir = tempDir('accord-outbox-accord-');
    const db = new Database(join(dir.path, 'producer.db'));
    const outbox = sqliteOutbox();
    outbox.migrate(db);
    const checkBack = createServer(
      accordHandler(checkBackHandler((gid) => outbox.checkPrepared(db, gid))),
    );
    await new Promise<void>((resolve) => checkBack.listen(0, '127.0.0.1', resolve));
    const checkUrl = `http://127.0.0.1:${(checkBack.address() as AddressInfo).port}/check`;
    try {
      const id = db.transaction(() =>
        outbox.add(db, { topic: 'user.created', payload: { userId: 'u9' } }),
      )();
      const relay = outbox.relay({
        db,
        publisher: accordPublisher(client, { ...options, checkUrl }),
        autoStart: false,
      });
      assert.equal(await relay.runOnce(), 1);
      await relay.stop();
      assert.deepEqual(trace(), ['POST /v1/transactions', `POST /v1/transactions/${id}/submit`]);
      assert.equal((server.calls[0]?.json as { checkUrl?: string }).checkUrl, checkUrl);

      // What the coordinator would do with a msg left prepared: ask the check-back.
      const ask = (gid: string) =>
        post(checkUrl, {
          'accord-gid': gid,
          'accord-branch': '_check',
          'accord-op': 'check',
          'accord-mode': 'msg',
        });
      assert.equal((await ask(id)).status, 200);
      assert.equal((await ask('never-written')).status, 409);
    } finally {
      checkBack.closeAllConnections();
      await new Promise((resolve) => checkBack.close(resolve));
      db.close();
      dir.remove();
    }
  });
});
