import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { BusinessFailure } from '../participant/failures.js';
import { startFakeCoordinator, type FakeServer } from '../../test-support/fake-server.js';
import { AccordClient } from './accord-client.js';

describe('msg', () => {
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

  test('doAndSubmit: prepare, run the local transaction with the gid, submit', async () => {
    const msg = client
      .msg({ checkUrl: 'http://me/check', options: { timeoutMs: 5000 } })
      .step<{ amount: number }>({ action: 'http://b/credit', payload: { amount: 5 } });
    const seen: string[] = [];
    const { transaction, result } = await msg.doAndSubmit((gid) => {
      seen.push(`${gid} ${trace().length}`);
      return 'local-done';
    });
    assert.equal(result, 'local-done');
    assert.equal(transaction.status, 'submitted');
    assert.deepEqual(seen, ['gen-1 1'], 'the callback ran after the prepare, with its gid');
    assert.deepEqual(trace(), ['POST /v1/transactions', 'POST /v1/transactions/gen-1/submit']);
    assert.deepEqual(server.calls[0]?.json, {
      mode: 'msg',
      checkUrl: 'http://me/check',
      options: { timeoutMs: 5000 },
      steps: [{ action: 'http://b/credit', payload: { amount: 5 } }],
    });
    assert.equal(msg.gid, 'gen-1');
  });

  test('deliverAfter and deliverAt delay the whole message; the last one given wins', () => {
    const base = () =>
      client.msg({ checkUrl: 'http://me/check', options: { timeoutMs: 5000 } }).step({
        action: 'http://b/credit',
      });
    assert.deepEqual(base().deliverAfter(60_000).toRequest().options, {
      timeoutMs: 5000,
      delayMs: 60_000,
    });
    const at = new Date('2030-01-31T12:00:00.000Z');
    assert.deepEqual(base().deliverAfter(60_000).deliverAt(at).toRequest().options, {
      timeoutMs: 5000,
      deliverAt: '2030-01-31T12:00:00.000Z',
    });
    assert.equal(base().toRequest().options?.delayMs, undefined);
    assert.equal(
      client.msg({ checkUrl: 'http://me/check' }).step({ action: 'http://b/c' }).toRequest()
        .options,
      undefined,
    );
  });

  test('doAndSubmit: a business refusal aborts and the same error is rethrown', async () => {
    const original = new BusinessFailure('insufficient funds');
    await assert.rejects(
      client
        .msg({ gid: 'm-1', checkUrl: 'http://me/check' })
        .step({ action: 'http://b/credit' })
        .doAndSubmit(() => {
          throw original;
        }),
      (error: unknown) => error === original,
    );
    assert.deepEqual(trace(), ['POST /v1/transactions', 'POST /v1/transactions/m-1/abort']);
    assert.deepEqual(server.calls[1]?.json, { reason: 'insufficient funds' });
  });

  test('doAndSubmit: any other error leaves the message to the check-back', async () => {
    const original = new TypeError('connection lost during COMMIT');
    await assert.rejects(
      client
        .msg({ gid: 'm-2', checkUrl: 'http://me/check' })
        .step({ action: 'http://b/credit' })
        .doAndSubmit(() => {
          throw original;
        }),
      (error: unknown) => error === original,
    );
    assert.deepEqual(trace(), ['POST /v1/transactions'], 'neither aborted nor submitted');
  });

  test('prepare, then submit or abort by hand', async () => {
    const msg = client.msg({ checkUrl: 'http://me/check' }).step({ action: 'http://b/credit' });
    const prepared = await msg.prepare();
    assert.equal(prepared.status, 'prepared');
    assert.throws(() => msg.step({ action: 'http://late' }), { code: 'INVALID_STATE' });
    const aborted = await msg.abort('changed my mind');
    assert.equal(aborted.status, 'aborting');
    assert.deepEqual(server.calls.at(-1)?.json, { reason: 'changed my mind' });
  });

  test('submit without prepare prepares first; abort needs a gid', async () => {
    const msg = client.msg({ checkUrl: 'http://me/check' }).step({ action: 'http://b/credit' });
    await assert.rejects(msg.abort(), { code: 'INVALID_STATE' });
    const tx = await msg.submit({ waitResult: true });
    assert.equal(tx.status, 'submitted');
    assert.deepEqual(trace(), ['POST /v1/transactions', `POST /v1/transactions/${tx.gid}/submit`]);
    assert.deepEqual(server.calls[1]?.json, { waitResult: true });
  });
});
