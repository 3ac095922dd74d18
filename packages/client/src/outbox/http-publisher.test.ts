import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { freePort } from '@accord/testkit';
import {
  startFakeServer,
  type FakeAnswer,
  type FakeServer,
} from '../../test-support/fake-server.js';
import { httpPublisher } from './http-publisher.js';
import { PublishError } from './publish-error.js';
import type { OutboxMessage } from './types.js';

const message = (id: string, topic = 'user.created'): OutboxMessage => ({
  id,
  topic,
  payload: { userId: id },
  payloadJson: JSON.stringify({ userId: id }),
  headers: { 'x-tenant': 'acme' },
  createdAt: 1_700_000_000_000,
  attempt: 1,
});

describe('httpPublisher', () => {
  let server: FakeServer;
  let answer: FakeAnswer = { status: 204 };

  before(async () => {
    server = await startFakeServer(() => answer);
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.calls.length = 0;
    answer = { status: 204 };
  });

  test('posts the payload with the message id, topic and headers; 2xx is success', async () => {
    const publisher = httpPublisher({
      url: (m) => `${server.url}/events/${m.topic}`,
      headers: { authorization: 'Bearer t', 'accord-message-id': 'cannot override' },
    });
    await publisher.publish(message('m-1'));
    answer = { status: 200, body: { ok: true } };
    await publisher.publish(message('m-2', 'order.placed'));
    assert.deepEqual(
      server.calls.map((c) => [c.method, c.url, c.text, c.headers['accord-message-id']]),
      [
        ['POST', '/events/user.created', '{"userId":"m-1"}', 'm-1'],
        ['POST', '/events/order.placed', '{"userId":"m-2"}', 'm-2'],
      ],
    );
    const headers = server.calls[0]?.headers ?? {};
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers['accord-topic'], 'user.created');
    assert.equal(headers['x-tenant'], 'acme');
    assert.equal(headers['authorization'], 'Bearer t');
  });

  test('a non-2xx answer is a failure carrying the status', async () => {
    const publisher = httpPublisher({ url: `${server.url}/hook`, method: 'PUT' });
    for (const status of [302, 409, 500]) {
      answer = { status, body: { error: 'nope' } };
      await assert.rejects(publisher.publish(message('m-3')), (error: unknown) => {
        assert.ok(error instanceof PublishError);
        assert.equal(error.code, 'PUBLISH_REJECTED');
        assert.deepEqual(error.details, { status });
        assert.match(
          error.message,
          new RegExp(`^PUT .*/hook answered ${status}: \\{"error":"nope"\\}`),
        );
        return true;
      });
    }
    assert.equal(server.calls[0]?.method, 'PUT');
  });

  test('a slow or unreachable endpoint fails within the timeout', async () => {
    answer = { status: 200, delayMs: 1_000 };
    const slow = httpPublisher({ url: `${server.url}/slow`, timeoutMs: 100 });
    const started = Date.now();
    await assert.rejects(slow.publish(message('m-4')), { code: 'PUBLISH_TIMEOUT' });
    assert.ok(Date.now() - started < 900);
    const closed = httpPublisher({ url: `http://127.0.0.1:${await freePort()}/` });
    await assert.rejects(closed.publish(message('m-5')), { code: 'PUBLISH_DISCONNECTED' });
  });

  test('options are checked up front', () => {
    assert.throws(() => httpPublisher({ url: 'ftp://x' }), {
      code: 'INVALID_REQUEST',
      message: 'url: must be an http(s) URL',
    });
    assert.throws(() => httpPublisher({ url: 'http://x', timeoutMs: 0 }), {
      message: 'timeoutMs: must be an integer >= 1',
    });
  });
});
