import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AccordError } from '@accord/core';
import { verifySignature } from '@accord/protocol';
import { BusinessFailure } from '../participant/failures.js';
import { startFakeCoordinator, type FakeServer } from '../../test-support/fake-server.js';
import { AccordClient } from './accord-client.js';

/** The recorded requests as `METHOD path` lines, for order assertions. */
function trace(server: FakeServer): string[] {
  return server.calls.map((c) => `${c.method} ${c.url}`);
}

describe('xa', () => {
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

  function branch(status: number, payload?: unknown) {
    return {
      local: `${server.url}/try/${status}`,
      commit: `${server.url}/commit`,
      rollback: `${server.url}/rollback`,
      payload,
    };
  }

  test('creates xa prepared, registers each branch before its local work, then submits', async () => {
    const { transaction, result } = await client.xa(
      async (xa) => {
        const a = await xa.branch<{ tried: string; echo: unknown }>(branch(200, { n: 1 }));
        const b = await xa.branch(branch(204));
        return [xa.gid, a, b];
      },
      { waitResult: 500, options: { timeoutMs: 20_000, headers: { 'x-tenant': 't1' } } },
    );
    assert.equal(transaction.status, 'submitted');
    assert.deepEqual(result, ['gen-1', { tried: '01', echo: { n: 1 } }, undefined]);
    assert.deepEqual(trace(server), [
      'POST /v1/transactions',
      'POST /v1/transactions/gen-1/branches',
      'POST /try/200',
      'POST /v1/transactions/gen-1/branches',
      'POST /try/204',
      'POST /v1/transactions/gen-1/submit',
    ]);
    const [create, register, local, register2, local2] = server.calls;
    assert.deepEqual(create?.json, {
      mode: 'xa',
      options: { timeoutMs: 20_000, headers: { 'x-tenant': 't1' } },
    });
    assert.deepEqual(register?.json, {
      branchId: '01',
      commit: `${server.url}/commit`,
      rollback: `${server.url}/rollback`,
      payload: { n: 1 },
    });
    assert.deepEqual(register2?.json, {
      branchId: '02',
      commit: `${server.url}/commit`,
      rollback: `${server.url}/rollback`,
    });
    assert.equal(local?.headers['accord-gid'], 'gen-1');
    assert.equal(local?.headers['accord-branch'], '01');
    assert.equal(local?.headers['accord-op'], 'try');
    assert.equal(local?.headers['accord-mode'], 'xa');
    assert.equal(local?.headers['content-type'], 'application/json');
    assert.equal(local?.headers['x-tenant'], 't1');
    assert.equal(local?.headers['accord-signature'], undefined);
    assert.match(String(local?.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(local2?.text, '', 'no payload, no body');
    assert.equal(local2?.headers['accord-branch'], '02');
    assert.deepEqual(server.calls.at(-1)?.json, { waitResult: 500 });
  });

  test('uses the given gid and branch ids', async () => {
    await client.xa(
      async (xa) => {
        await xa.branch({ ...branch(200), branchId: 'stock' });
      },
      { gid: 'order-7' },
    );
    assert.deepEqual(server.calls[0]?.json, { mode: 'xa', gid: 'order-7' });
    assert.equal((server.calls[1]?.json as { branchId: string }).branchId, 'stock');
    assert.equal(server.calls[2]?.headers['accord-branch'], 'stock');
  });

  test('a refused local work (409) throws BusinessFailure and aborts', async () => {
    await assert.rejects(
      client.xa(async (xa) => {
        await xa.branch(branch(200));
        await xa.branch(branch(409));
      }),
      (error: unknown) => {
        assert.ok(error instanceof BusinessFailure);
        assert.equal(error.code, 'BRANCH_FAILED');
        assert.equal(error.message, 'participant says 409');
        return true;
      },
    );
    assert.deepEqual(trace(server).slice(-3), [
      'POST /v1/transactions/gen-3/branches',
      'POST /try/409',
      'POST /v1/transactions/gen-3/abort',
    ]);
    assert.deepEqual(server.calls.at(-1)?.json, { reason: 'participant says 409' });
    assert.ok(!trace(server).some((line) => line.endsWith('/submit')));
  });

  test('a throwing callback aborts and the same error is rethrown', async () => {
    const original = new Error('changed my mind');
    await assert.rejects(
      client.xa(async (xa) => {
        await xa.branch(branch(200));
        throw original;
      }),
      (error: unknown) => error === original,
    );
    assert.deepEqual(trace(server).slice(-1), ['POST /v1/transactions/gen-4/abort']);
    assert.deepEqual(server.calls.at(-1)?.json, { reason: 'changed my mind' });
  });

  test('an unreachable participant is COORDINATOR_ERROR and aborts', async () => {
    await assert.rejects(
      client.xa(async (xa) => {
        await xa.branch({ ...branch(200), local: 'http://127.0.0.1:1/local' });
      }),
      (error: unknown) => {
        assert.ok(error instanceof AccordError);
        assert.equal(error.code, 'COORDINATOR_ERROR');
        assert.match(error.message, /branch 01 \(http:\/\/127\.0\.0\.1:1\/local\) failed/);
        return true;
      },
    );
    assert.deepEqual(trace(server).slice(-1), ['POST /v1/transactions/gen-5/abort']);
  });

  test('register failing means the local work is never called, and the transaction is aborted', async () => {
    const broken = await startFakeCoordinator({ fail: ['branches'] });
    const c = new AccordClient({ url: broken.url });
    try {
      await assert.rejects(
        c.xa(async (xa) => {
          await xa.branch(branch(200));
        }),
        { code: 'INTERNAL', message: 'branches broke' },
      );
      assert.deepEqual(trace(broken), [
        'POST /v1/transactions',
        'POST /v1/transactions/gen-1/branches',
        'POST /v1/transactions/gen-1/abort',
      ]);
      assert.equal(server.calls.length, 0, 'no local work reached the participant');
    } finally {
      await c.close();
      await broken.close();
    }
  });

  test('the tcc try still says mode tcc', async () => {
    await client.tcc(async (tcc) => {
      await tcc.branch({
        try: `${server.url}/try/200`,
        confirm: 'http://x/c',
        cancel: 'http://x/x',
      });
    });
    assert.equal(server.calls[2]?.headers['accord-mode'], 'tcc');
  });

  test('with signingSecret, the local-work call is signed for its gid, branch, op and mode', async () => {
    const signing = new AccordClient({ url: server.url, signingSecret: 'client-secret' });
    try {
      await signing.xa(async (xa) => {
        await xa.branch({
          local: `${server.url}/try/200`,
          commit: `${server.url}/commit`,
          rollback: `${server.url}/rollback`,
          payload: { n: 3 },
        });
      });
    } finally {
      await signing.close();
    }
    const call = server.calls[2];
    assert.ok(call);
    const signature = call.headers['accord-signature'];
    assert.equal(typeof signature, 'string');
    const signed = {
      gid: String(call.headers['accord-gid']),
      branchId: '01',
      op: 'try',
      mode: 'xa',
    };
    verifySignature('client-secret', String(signature), signed, call.text);
    assert.throws(
      () =>
        verifySignature('client-secret', String(signature), { ...signed, mode: 'saga' }, call.text),
      /SIGNATURE_INVALID|does not match/,
    );
  });
});
