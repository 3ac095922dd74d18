import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AccordError } from '@accord/core';
import { freePort } from '@accord/testkit';
import {
  fakeTransaction,
  startFakeServer,
  type FakeServer,
} from '../../test-support/fake-server.js';
import { AccordClient } from './accord-client.js';

describe('AccordClient request/response mapping', () => {
  let server: FakeServer;
  let client: AccordClient;
  let answer: (url: string) => { status: number; body?: unknown; delayMs?: number };

  before(async () => {
    server = await startFakeServer((call) => answer(call.url));
    client = new AccordClient({
      url: `${server.url}/`,
      token: 'client-token',
      adminToken: 'admin-token',
      timeoutMs: 2000,
    });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  function lastCall() {
    const call = server.calls.at(-1);
    assert.ok(call, 'no request recorded');
    return call;
  }

  test('create posts the body with the bearer token and returns the transaction', async () => {
    const tx = fakeTransaction({ gid: 'order-42' });
    answer = () => ({ status: 201, body: { transaction: tx } });
    const body = {
      gid: 'order-42',
      mode: 'saga' as const,
      steps: [{ action: 'http://a/x', payload: { n: 1 } }],
    };
    assert.deepEqual(await client.create(body), tx);
    const call = lastCall();
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/v1/transactions');
    assert.equal(call.headers['authorization'], 'Bearer client-token');
    assert.equal(call.headers['content-type'], 'application/json');
    assert.deepEqual(call.json, body);
  });

  test('submit, abort and register hit their routes with an encoded gid', async () => {
    answer = () => ({ status: 200, body: { transaction: fakeTransaction({ gid: 'a/b' }) } });
    await client.submit('a/b', { waitResult: 100 });
    assert.equal(lastCall().url, '/v1/transactions/a%2Fb/submit');
    assert.deepEqual(lastCall().json, { waitResult: 100 });
    await client.abort('a/b', { reason: 'no stock' });
    assert.equal(lastCall().url, '/v1/transactions/a%2Fb/abort');
    assert.deepEqual(lastCall().json, { reason: 'no stock' });
    await client.registerBranch('a/b', { branchId: '01', confirm: 'http://c', cancel: 'http://x' });
    assert.equal(lastCall().url, '/v1/transactions/a%2Fb/branches');
  });

  test('operator routes use the admin token', async () => {
    answer = () => ({ status: 200, body: { transaction: fakeTransaction() } });
    await client.retry('g1');
    assert.equal(lastCall().url, '/v1/transactions/g1/retry');
    assert.equal(lastCall().headers['authorization'], 'Bearer admin-token');
    await client.resolve('g1', { status: 'failed', reason: 'by hand' });
    assert.equal(lastCall().headers['authorization'], 'Bearer admin-token');
    assert.deepEqual(lastCall().json, { status: 'failed', reason: 'by hand' });
  });

  test('query returns transaction and history', async () => {
    const history = [
      {
        branchId: '01',
        op: 'action',
        attempt: 1,
        startedAt: 'x',
        finishedAt: 'y',
        outcome: 'success',
        httpStatus: 200,
        message: null,
      },
    ];
    answer = () => ({ status: 200, body: { transaction: fakeTransaction(), history } });
    const result = await client.query('g1');
    assert.equal(lastCall().method, 'GET');
    assert.equal(lastCall().url, '/v1/transactions/g1');
    assert.deepEqual(result.history, history);
  });

  test('list encodes filters and reads the page', async () => {
    answer = () => ({ status: 200, body: { items: [fakeTransaction()], nextCursor: 'c2' } });
    const since = new Date('2025-01-02T03:04:05.000Z');
    const page = await client.list({ status: 'failed', parked: true, since, until: 5, limit: 10 });
    assert.equal(page.nextCursor, 'c2');
    assert.equal(page.items.length, 1);
    const url = new URL(lastCall().url, 'http://x');
    assert.equal(url.pathname, '/v1/transactions');
    assert.equal(url.searchParams.get('status'), 'failed');
    assert.equal(url.searchParams.get('parked'), 'true');
    assert.equal(url.searchParams.get('since'), since.toISOString());
    assert.equal(url.searchParams.get('until'), '5');
    assert.equal(url.searchParams.get('limit'), '10');
    await client.list();
    assert.equal(lastCall().url, '/v1/transactions');
  });

  test('ids asks for count ids', async () => {
    answer = () => ({ status: 200, body: { ids: ['1', '2', '3'] } });
    assert.deepEqual(await client.ids(3), ['1', '2', '3']);
    assert.equal(lastCall().url, '/v1/ids?count=3');
  });

  test("a server error becomes an AccordError with the server's code, message and details", async () => {
    const details = { issues: [{ path: '/steps/0/action', message: 'must be a URL' }] };
    answer = () => ({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST', message: 'bad', details } },
    });
    await assert.rejects(client.create({ mode: 'saga', steps: [] }), (error: unknown) => {
      assert.ok(error instanceof AccordError);
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.equal(error.message, 'bad');
      assert.deepEqual(error.details, details);
      return true;
    });
    answer = () => ({
      status: 404,
      body: { error: { code: 'TRANSACTION_NOT_FOUND', message: 'no such gid' } },
    });
    await assert.rejects(client.query('nope'), { code: 'TRANSACTION_NOT_FOUND' });
  });

  test('an unknown server code or a non-JSON answer is COORDINATOR_ERROR', async () => {
    answer = () => ({
      status: 418,
      body: { error: { code: 'TEAPOT', message: 'short and stout' } },
    });
    await assert.rejects(client.query('g'), (error: unknown) => {
      assert.ok(error instanceof AccordError);
      assert.equal(error.code, 'COORDINATOR_ERROR');
      assert.equal(error.message, 'short and stout');
      assert.deepEqual(error.details, { httpStatus: 418, code: 'TEAPOT', details: undefined });
      return true;
    });
    answer = () => ({ status: 502, body: '<html>bad gateway</html>' });
    await assert.rejects(client.query('g'), (error: unknown) => {
      assert.ok(error instanceof AccordError);
      assert.equal(error.code, 'COORDINATOR_ERROR');
      assert.deepEqual(error.details, { httpStatus: 502, body: '<html>bad gateway</html>' });
      return true;
    });
  });

  test('a 2xx without the expected shape is COORDINATOR_ERROR', async () => {
    answer = () => ({ status: 200, body: { nope: true } });
    await assert.rejects(client.submit('g'), { code: 'COORDINATOR_ERROR' });
    await assert.rejects(client.ids(1), { code: 'COORDINATOR_ERROR' });
  });

  test('a slow answer times out; waitResult extends the timeout by the wait', async () => {
    const quick = new AccordClient({ url: server.url, timeoutMs: 100 });
    try {
      answer = () => ({ status: 200, body: { transaction: fakeTransaction() }, delayMs: 400 });
      await assert.rejects(quick.submit('g'), (error: unknown) => {
        assert.ok(error instanceof AccordError);
        assert.equal(error.code, 'COORDINATOR_ERROR');
        assert.ok(error.retryable);
        assert.ok(error.cause, 'the undici error is kept as cause');
        return true;
      });
      const tx = await quick.submit('g', { waitResult: 1000 });
      assert.equal(tx.gid, 'gid-1');
    } finally {
      await quick.close();
    }
  });
});

describe('AccordClient without a coordinator', () => {
  test('a refused connection is COORDINATOR_ERROR with the cause', async () => {
    const client = new AccordClient({ url: `http://127.0.0.1:${await freePort()}` });
    try {
      await assert.rejects(client.query('g'), (error: unknown) => {
        assert.ok(error instanceof AccordError);
        assert.equal(error.code, 'COORDINATOR_ERROR');
        assert.match(error.message, /GET \/v1\/transactions\/g failed/);
        assert.ok(error.cause);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test('options are validated', () => {
    assert.throws(() => new AccordClient({ url: 'ftp://x' }), { code: 'INVALID_REQUEST' });
    assert.throws(() => new AccordClient({ url: 'not a url' }), { code: 'INVALID_REQUEST' });
    assert.throws(() => new AccordClient({ url: 'http://x', timeoutMs: 0 }), {
      code: 'INVALID_REQUEST',
    });
  });
});

describe('saga builder', () => {
  test('submits one create with the steps, options and waitResult', async () => {
    const server = await startFakeServer(() => ({
      status: 201,
      body: { transaction: fakeTransaction({ gid: 'order-1', status: 'succeeded' }) },
    }));
    const client = new AccordClient({ url: server.url });
    try {
      const tx = await client
        .saga({ gid: 'order-1', options: { timeoutMs: 60_000 } })
        .step<{ amount: number }>({
          id: 'out',
          action: 'http://a/withdraw',
          compensate: 'http://a/refund',
          payload: { amount: 5 },
        })
        .step({ id: 'in', action: 'http://b/deposit', payload: { amount: 5 }, dependsOn: ['out'] })
        .submit({ waitResult: true });
      assert.equal(tx.status, 'succeeded');
      assert.deepEqual(server.calls[0]?.json, {
        mode: 'saga',
        gid: 'order-1',
        options: { timeoutMs: 60_000 },
        waitResult: true,
        steps: [
          {
            id: 'out',
            action: 'http://a/withdraw',
            compensate: 'http://a/refund',
            payload: { amount: 5 },
          },
          { id: 'in', action: 'http://b/deposit', payload: { amount: 5 }, dependsOn: ['out'] },
        ],
      });
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('omits gid and options when not given', async () => {
    const client = new AccordClient({ url: 'http://127.0.0.1:1' });
    const body = client.saga().step({ action: 'http://a/x' }).toRequest();
    assert.deepEqual(body, { mode: 'saga', steps: [{ action: 'http://a/x' }] });
    await client.close();
  });
});
