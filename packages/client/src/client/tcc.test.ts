import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { AccordError } from '@accord/core';
import { verifySignature } from '@accord/protocol';
import { BusinessFailure, Ongoing } from '../participant/failures.js';
import { startFakeCoordinator, type FakeServer } from '../../test-support/fake-server.js';
import { AccordClient } from './accord-client.js';

/** The recorded requests as `METHOD path` lines, for order assertions. */
function trace(server: FakeServer): string[] {
  return server.calls.map((c) => `${c.method} ${c.url}`);
}

describe('tcc', () => {
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
      try: `${server.url}/try/${status}`,
      confirm: `${server.url}/confirm`,
      cancel: `${server.url}/cancel`,
      payload,
    };
  }

  test('creates prepared, registers each branch before its try, then submits', async () => {
    const { transaction, result } = await client.tcc(
      async (tcc) => {
        const a = await tcc.branch<{ tried: string; echo: unknown }>(branch(200, { n: 1 }));
        const b = await tcc.branch(branch(201, { n: 2 }));
        return [tcc.gid, a, b];
      },
      { waitResult: 500, options: { headers: { 'x-tenant': 't1' } } },
    );
    assert.equal(transaction.status, 'submitted');
    assert.deepEqual(result, [
      'gen-1',
      { tried: '01', echo: { n: 1 } },
      { tried: '02', echo: { n: 2 } },
    ]);
    assert.deepEqual(trace(server), [
      'POST /v1/transactions',
      'POST /v1/transactions/gen-1/branches',
      'POST /try/200',
      'POST /v1/transactions/gen-1/branches',
      'POST /try/201',
      'POST /v1/transactions/gen-1/submit',
    ]);
    const [create, register, tryCall] = server.calls;
    assert.deepEqual(create?.json, { mode: 'tcc', options: { headers: { 'x-tenant': 't1' } } });
    assert.deepEqual(register?.json, {
      branchId: '01',
      confirm: `${server.url}/confirm`,
      cancel: `${server.url}/cancel`,
      payload: { n: 1 },
    });
    assert.equal(tryCall?.headers['accord-gid'], 'gen-1');
    assert.equal(tryCall?.headers['accord-branch'], '01');
    assert.equal(tryCall?.headers['accord-op'], 'try');
    assert.equal(tryCall?.headers['accord-mode'], 'tcc');
    assert.equal(tryCall?.headers['content-type'], 'application/json');
    assert.equal(tryCall?.headers['x-tenant'], 't1');
    assert.equal(tryCall?.headers['accord-signature'], undefined);
    const traceId = createHash('sha256').update('gen-1').digest('hex').slice(0, 32);
    assert.match(
      String(tryCall?.headers['traceparent']),
      new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`),
    );
    assert.deepEqual(server.calls.at(-1)?.json, { waitResult: 500 });
  });

  test('uses the given gid and branch ids', async () => {
    await client.tcc(
      async (tcc) => {
        await tcc.branch({ ...branch(200), branchId: 'stock' });
      },
      { gid: 'order-7' },
    );
    assert.deepEqual(server.calls[0]?.json, { mode: 'tcc', gid: 'order-7' });
    assert.equal((server.calls[1]?.json as { branchId: string }).branchId, 'stock');
    assert.equal(server.calls[2]?.headers['accord-branch'], 'stock');
  });

  test('a throwing callback aborts with its message and the same error is rethrown', async () => {
    class Mine extends Error {}
    const original = new Mine('out of stock');
    await assert.rejects(
      client.tcc(async (tcc) => {
        await tcc.branch(branch(200));
        throw original;
      }),
      (error: unknown) => {
        assert.equal(error, original);
        assert.equal(original.cause, undefined);
        return true;
      },
    );
    assert.deepEqual(trace(server).slice(-1), ['POST /v1/transactions/gen-3/abort']);
    assert.deepEqual(server.calls.at(-1)?.json, { reason: 'out of stock' });
    assert.ok(!trace(server).some((line) => line.endsWith('/submit')));
  });

  test('a refused try (409) throws BusinessFailure and aborts', async () => {
    await assert.rejects(
      client.tcc(async (tcc) => {
        await tcc.branch(branch(200));
        await tcc.branch(branch(409));
      }),
      (error: unknown) => {
        assert.ok(error instanceof BusinessFailure);
        assert.ok(error instanceof AccordError);
        assert.equal(error.code, 'BRANCH_FAILED');
        assert.equal(error.message, 'participant says 409');
        assert.deepEqual(
          { ...(error.details as object), body: undefined },
          { gid: 'gen-4', branchId: '02', httpStatus: 409, body: undefined },
        );
        return true;
      },
    );
    assert.deepEqual(trace(server).slice(-3), [
      'POST /v1/transactions/gen-4/branches',
      'POST /try/409',
      'POST /v1/transactions/gen-4/abort',
    ]);
  });

  test('425 is BRANCH_ONGOING, any other status or no answer COORDINATOR_ERROR', async () => {
    const seen: unknown[] = [];
    await client.tcc(async (tcc) => {
      for (const b of [branch(425), branch(500)]) {
        seen.push(await tcc.branch(b).catch((e: unknown) => e));
      }
      seen.push(
        await tcc
          .branch({ ...branch(200), try: 'http://127.0.0.1:1/try' })
          .catch((e: unknown) => e),
      );
    });
    const [ongoing, broken, unreachable] = seen as AccordError[];
    assert.ok(ongoing instanceof Ongoing);
    assert.equal(ongoing.code, 'BRANCH_ONGOING');
    assert.equal(broken?.code, 'COORDINATOR_ERROR');
    assert.match(broken?.message ?? '', /answered 500: participant says 500/);
    assert.equal(unreachable?.code, 'COORDINATOR_ERROR');
    assert.ok(unreachable?.cause);
  });

  test('register failing means the try is never called, and the transaction is aborted', async () => {
    const broken = await startFakeCoordinator({ fail: ['branches'] });
    const c = new AccordClient({ url: broken.url });
    try {
      await assert.rejects(
        c.tcc(async (tcc) => {
          await tcc.branch(branch(200));
        }),
        { code: 'INTERNAL', message: 'branches broke' },
      );
      assert.deepEqual(trace(broken), [
        'POST /v1/transactions',
        'POST /v1/transactions/gen-1/branches',
        'POST /v1/transactions/gen-1/abort',
      ]);
      assert.equal(server.calls.length, 0, 'no try reached the participant');
    } finally {
      await c.close();
      await broken.close();
    }
  });

  test('when the abort fails too, the original error still surfaces', async () => {
    const broken = await startFakeCoordinator({ fail: ['abort'] });
    const c = new AccordClient({ url: broken.url });
    try {
      const original = new Error('boom');
      await assert.rejects(
        c.tcc(() => Promise.reject(original)),
        (error: unknown) => {
          assert.equal(error, original);
          assert.ok(original.cause instanceof AccordError);
          assert.equal(original.cause.message, 'abort broke');
          return true;
        },
      );
      await assert.rejects(
        c.tcc(() => Promise.reject(new Error('with cause', { cause: 'earlier' }))),
        (error: unknown) => {
          assert.ok(error instanceof AggregateError);
          const [first, second] = error.errors as [Error, AccordError];
          assert.equal(first.message, 'with cause');
          assert.equal(error.cause, first);
          assert.equal(second.code, 'INTERNAL');
          return true;
        },
      );
      await assert.rejects(
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        c.tcc(() => Promise.reject('a string')),
        (error: unknown) => {
          assert.ok(error instanceof AggregateError);
          assert.equal(error.errors[0], 'a string');
          return true;
        },
      );
    } finally {
      await c.close();
      await broken.close();
    }
  });

  test('a failed create never runs the callback', async () => {
    const broken = await startFakeCoordinator({ fail: ['create'] });
    const c = new AccordClient({ url: broken.url });
    let ran = false;
    try {
      await assert.rejects(
        c.tcc(async () => {
          ran = true;
          return Promise.resolve();
        }),
        { code: 'INTERNAL' },
      );
      assert.equal(ran, false);
      assert.equal(broken.calls.length, 1);
    } finally {
      await c.close();
      await broken.close();
    }
  });

  test('with signingSecret, the try is signed for its gid, branch, op and mode', async () => {
    const signing = new AccordClient({ url: server.url, signingSecret: 'client-secret' });
    try {
      await signing.tcc(async (tcc) => {
        await tcc.branch({
          try: `${server.url}/try/200`,
          confirm: `${server.url}/confirm`,
          cancel: `${server.url}/cancel`,
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
      mode: 'tcc',
    };
    verifySignature('client-secret', String(signature), signed, call.text);
    assert.throws(
      () =>
        verifySignature('client-secret', String(signature), { ...signed, mode: 'saga' }, call.text),
      /SIGNATURE_INVALID|does not match/,
    );
  });
});
