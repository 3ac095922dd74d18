/**
 * DTM topics over HTTP: subscribe, unsubscribe and delete with DTM's answers and the
 * admin token, and msg steps sent to `topic://<name>` delivered to every subscriber
 * (real participants on loopback).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../../config/config.js';
import { startServer, type RunningServer } from '../../server.js';
import { DtmParticipant } from '../../../test-support/dtm-participant.js';

const ADMIN = 'admin-token-for-topics';
const CLIENT = 'client-token-for-topics';

interface Reply {
  status: number;
  json: Record<string, unknown>;
}

describe('DTM topics', () => {
  let server: RunningServer;
  const a = new DtmParticipant();
  const b = new DtmParticipant();
  const dir = tempDir('accord-dtm-topics-');

  before(async () => {
    await Promise.all([a.start(), b.start()]);
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_TOKEN: CLIENT,
          ACCORD_ADMIN_TOKEN: ADMIN,
          ACCORD_RETRY_FIRST_MS: '50',
          ACCORD_RETRY_MAX_MS: '200',
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    await Promise.all([a.stop(), b.stop()]);
    dir.remove();
  });

  async function call(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null } = {},
  ): Promise<Reply> {
    const token = options.token === undefined ? ADMIN : options.token;
    const headers: Record<string, string> =
      token === null ? {} : { authorization: `Bearer ${token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}/api/dtmsvr/${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  const q = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const subscribe = (topic: string, url: string, remark = '') =>
    call('POST', 'subscribe', { body: { topic, url, remark } });
  const SUCCESS = { status: 200, json: { dtm_result: 'SUCCESS' } };
  const refusal = (reply: Reply, message: RegExp) => {
    assert.equal(reply.status, 409, JSON.stringify(reply.json));
    assert.equal(reply.json['dtm_result'], 'FAILURE');
    assert.match(String(reply.json['message']), message);
  };

  it('changes topics only with the admin token', async () => {
    const routes: Array<[string, string, unknown]> = [
      ['POST', 'subscribe', { topic: 'auth', url: `${a.url}/x` }],
      ['GET', `subscribe?${q({ topic: 'auth', url: `${a.url}/x` })}`, undefined],
      ['POST', 'unsubscribe', { topic: 'auth', url: `${a.url}/x` }],
      ['GET', `unsubscribe?${q({ topic: 'auth', url: `${a.url}/x` })}`, undefined],
      ['DELETE', 'topic/auth', undefined],
    ];
    for (const [method, path, body] of routes) {
      assert.equal((await call(method, path, { body, token: null })).status, 401, path);
      assert.equal((await call(method, path, { body, token: 'wrong' })).status, 401, path);
      assert.equal((await call(method, path, { body, token: CLIENT })).status, 403, path);
    }
    const admin = await call('GET', `subscribe?${q({ topic: 'auth', url: `${a.url}/x` })}`);
    assert.deepEqual(admin, SUCCESS);
    assert.deepEqual(await call('DELETE', 'topic/auth'), SUCCESS);
  });

  it('refuses a URL subscribed twice, bad fields and addresses the policy denies', async () => {
    assert.deepEqual(await subscribe('orders', `${a.url}/orders`, 'billing'), SUCCESS);
    refusal(await subscribe('orders', `${a.url}/orders`, 'again'), /this url exists/);
    const missing = await call('POST', 'subscribe', { body: { topic: '' } });
    assert.equal(missing.status, 400);
    assert.match(String(missing.json['message']), /\/topic: is required; \/url: is required/);
    const metadata = await subscribe('orders', 'http://169.254.169.254/latest/meta-data');
    assert.equal(metadata.status, 400);
    assert.match(String(metadata.json['message']), /^\/url: /);
    const notHttp = await subscribe('orders', 'topic://orders');
    assert.equal(notHttp.status, 400);
    const slash = await subscribe('a/b', `${a.url}/x`);
    assert.equal(slash.status, 400);
    assert.match(String(slash.json['message']), /\/topic: must not contain/);
    const wrongType = await call('POST', 'subscribe', { body: { topic: 'orders', url: 7 } });
    assert.equal(wrongType.status, 400);
  });

  it('unsubscribes known URLs only, and deletes a topic with its subscribers', async () => {
    refusal(
      await call('POST', 'unsubscribe', { body: { topic: 'nope', url: a.url } }),
      /no such a topic/,
    );
    assert.deepEqual(await subscribe('stock', `${a.url}/stock`), SUCCESS);
    assert.deepEqual(await subscribe('stock', `${b.url}/stock`), SUCCESS);
    const unknown = await call(
      'GET',
      `unsubscribe?${q({ topic: 'stock', url: `${a.url}/other` })}`,
    );
    refusal(unknown, /no such an url/);
    const drop = (url: string) => call('POST', 'unsubscribe', { body: { topic: 'stock', url } });
    assert.deepEqual(await drop(`${a.url}/stock`), SUCCESS);
    assert.deepEqual(await drop(`${b.url}/stock`), SUCCESS);
    refusal(await drop(`${b.url}/stock`), /this topic is empty/);
    // DTM deletes a topic whatever its subscribers; an unknown one is refused.
    assert.deepEqual(await subscribe('stock', `${a.url}/stock`), SUCCESS);
    assert.deepEqual(await call('DELETE', 'topic/stock'), SUCCESS);
    refusal(await call('DELETE', 'topic/stock'), /no such a topic/);
    refusal(
      await call('POST', 'unsubscribe', { body: { topic: 'stock', url: `${a.url}/stock` } }),
      /no such a topic/,
    );
  });

  it('delivers a msg sent to a topic to every subscriber, retrying each on its own', async () => {
    assert.deepEqual(await subscribe('paid', `${a.url}/paid-a`, 'ledger'), SUCCESS);
    assert.deepEqual(await subscribe('paid', `${b.url}/paid-b`, 'mailer'), SUCCESS);
    let failuresLeft = 2;
    b.script((c) => {
      if (c.path === '/paid-b' && failuresLeft > 0) {
        failuresLeft -= 1;
        return { status: 500, body: 'down' };
      }
      return { status: 200 };
    });
    const gid = (await call('GET', 'newGid', { token: CLIENT })).json['gid'] as string;
    const prepared = await call('POST', 'prepare', {
      token: CLIENT,
      body: {
        gid,
        trans_type: 'msg',
        steps: [{ action: 'topic://paid' }, { action: `${a.url}/audit` }],
        payloads: ['{"order":42}', '{"audit":true}'],
        query_prepared: `${a.url}/check`,
      },
    });
    assert.deepEqual(prepared, SUCCESS);
    // Subscribers are taken when the message is created, not when it is submitted.
    assert.deepEqual(await subscribe('paid', `${a.url}/late`), SUCCESS);
    assert.deepEqual(
      await call('POST', 'submit', { token: CLIENT, body: { gid, trans_type: 'msg' } }),
      SUCCESS,
    );
    const native = async () => {
      const res = await fetch(`${server.url}/v1/transactions/${gid}`, {
        headers: { authorization: `Bearer ${CLIENT}` },
      });
      return (await res.json()) as {
        transaction: {
          status: string;
          branches: Array<{
            branchId: string;
            op: string;
            url: string;
            status: string;
            attempts: number;
          }>;
        };
      };
    };
    await waitFor(async () => (await native()).transaction.status === 'succeeded', {
      what: `${gid} succeeded`,
    });
    const ops = (await native()).transaction.branches;
    assert.deepEqual(
      ops.map((o) => [o.branchId, o.url, o.status]),
      [
        ['01-01', `${a.url}/paid-a`, 'succeeded'],
        ['01-02', `${b.url}/paid-b`, 'succeeded'],
        ['02', `${a.url}/audit`, 'succeeded'],
      ],
    );
    assert.equal(ops.find((o) => o.branchId === '01-02')?.attempts, 3);
    const delivered = [...a.calls, ...b.calls].filter((c) => c.query['gid'] === gid);
    const bodies = (path: string) => delivered.filter((c) => c.path === path).map((c) => c.body);
    assert.deepEqual(bodies('/paid-a'), ['{"order":42}']);
    assert.deepEqual(bodies('/paid-b'), ['{"order":42}', '{"order":42}', '{"order":42}']);
    assert.deepEqual(bodies('/late'), []);
    assert.ok(
      delivered.every((c) => c.path !== '/paid-b' || c.query['branch_id']?.startsWith('01-')),
    );
    b.script(() => ({ status: 200 }));
  });

  it('refuses a msg to a topic without subscribers, naming the step', async () => {
    const send = async (action: string, trans_type = 'msg') => {
      const gid = (await call('GET', 'newGid', { token: CLIENT })).json['gid'] as string;
      return call('POST', 'submit', {
        token: CLIENT,
        body: {
          gid,
          trans_type,
          steps: [{ action: `${a.url}/ok` }, { action }],
          payloads: ['{}', '{}'],
        },
      });
    };
    const none = await send('topic://never-subscribed');
    assert.equal(none.status, 400);
    assert.match(
      String(none.json['message']),
      /\/steps\/1\/action: topic "never-subscribed" does not exist/,
    );
    assert.deepEqual(await subscribe('emptied', `${a.url}/e`), SUCCESS);
    await call('POST', 'unsubscribe', { body: { topic: 'emptied', url: `${a.url}/e` } });
    const empty = await send('topic://emptied');
    assert.equal(empty.status, 400);
    assert.match(String(empty.json['message']), /has no subscribers/);
    assert.deepEqual(await subscribe('saga-topic', `${a.url}/s`), SUCCESS);
    const saga = await send('topic://saga-topic', 'saga');
    assert.equal(saga.status, 400);
    assert.match(String(saga.json['message']), /only msg steps/);
  });
});
