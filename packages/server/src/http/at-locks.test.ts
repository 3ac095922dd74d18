/**
 * The at mode's row locks through the native API: taken at registration, all or none,
 * a conflict named with its holder, released when the transaction ends.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';

const CLIENT = 'client-token-0123456789';
const ADMIN = 'admin-token-0123456789';

interface Reply {
  error?: { code: string; message: string; details?: Record<string, unknown> };
  transaction?: { status: string; branches?: unknown[] };
}

describe('at branches and their row locks', () => {
  let server: RunningServer;
  let participant: Server;
  let participantUrl = '';
  const calls: string[] = [];
  const dir = tempDir('accord-at-');
  const auth = { authorization: `Bearer ${CLIENT}` };

  before(async () => {
    participant = createServer((req, res) => {
      calls.push(`${String(req.headers['accord-gid'])}:${String(req.headers['accord-op'])}`);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => participant.listen(0, '127.0.0.1', resolve));
    participantUrl = `http://127.0.0.1:${(participant.address() as AddressInfo).port}/at`;
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_TOKEN: CLIENT,
          ACCORD_ADMIN_TOKEN: ADMIN,
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    await new Promise<void>((resolve) => participant.close(() => resolve()));
    dir.remove();
  });

  async function post(url: string, body: unknown) {
    const res = await server.app.inject({
      method: 'POST',
      url,
      payload: body as object,
      headers: auth,
    });
    return { status: res.statusCode, json: res.json<Reply>() };
  }

  /** Waits (up to 20 s) for the transaction to end; its final status. */
  async function terminalStatus(gid: string): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = (await server.store.get(gid))?.tx.status ?? 'missing';
      if (status === 'succeeded' || status === 'failed' || Date.now() > deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const branch = (branchId: string, lockKeys: string[]) => ({
    branchId,
    commit: 'http://127.0.0.1:1/at',
    rollback: 'http://127.0.0.1:1/at',
    lockKeys,
  });

  it('takes the keys of a branch and answers a conflict naming the key and its holder', async () => {
    assert.equal((await post('/v1/transactions', { gid: 'at-1', mode: 'at' })).status, 201);
    assert.equal((await post('/v1/transactions', { gid: 'at-2', mode: 'at' })).status, 201);
    const first = await post(
      '/v1/transactions/at-1/branches',
      branch('b1', ['pg:stock:1', 'pg:stock:2']),
    );
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.deepEqual(
      (await server.store.locks.heldBy('at-1')).map((l) => l.key),
      ['pg:stock:1', 'pg:stock:2'],
    );

    const clash = await post(
      '/v1/transactions/at-2/branches',
      branch('b1', ['pg:stock:3', 'pg:stock:2']),
    );
    assert.equal(clash.status, 409);
    assert.equal(clash.json.error?.code, 'LOCK_CONFLICT');
    assert.match(
      clash.json.error?.message ?? '',
      /"pg:stock:2" is held by transaction "at-1" \(branch b1\)/,
    );
    assert.deepEqual(clash.json.error?.details, {
      gid: 'at-2',
      key: 'pg:stock:2',
      holderGid: 'at-1',
      holderBranchId: 'b1',
    });
    assert.deepEqual(await server.store.locks.heldBy('at-2'), [], 'all or none');
    const stored = await server.store.get('at-2');
    assert.equal(stored?.ops.length, 0, 'a refused branch is not registered');

    const again = await post(
      '/v1/transactions/at-1/branches',
      branch('b1', ['pg:stock:1', 'pg:stock:2']),
    );
    assert.equal(again.status, 200, 'a repeated registration is a no-op');
  });

  it('releases the locks when the transaction ends, so a waiting one gets them', async () => {
    assert.equal((await post('/v1/transactions', { gid: 'at-3', mode: 'at' })).status, 201);
    assert.equal((await post('/v1/transactions', { gid: 'at-4', mode: 'at' })).status, 201);
    const keys = ['maria:wallet:7'];
    assert.equal((await post('/v1/transactions/at-3/branches', branch('b1', keys))).status, 200);
    assert.equal((await post('/v1/transactions/at-4/branches', branch('b1', keys))).status, 409);
    const resolved = await server.app.inject({
      method: 'POST',
      url: '/v1/transactions/at-3/resolve',
      payload: { status: 'failed', reason: 'ended by hand in a test' },
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(resolved.statusCode, 200, resolved.body);
    assert.deepEqual(await server.store.locks.heldBy('at-3'), []);
    assert.equal((await post('/v1/transactions/at-4/branches', branch('b1', keys))).status, 200);
  });

  it('gives back the keys of a registration the transaction refuses', async () => {
    assert.equal((await post('/v1/transactions', { gid: 'at-5', mode: 'at' })).status, 201);
    await post('/v1/transactions/at-5/branches', branch('b1', ['pg:orders:1']));
    const conflicting = {
      ...branch('b1', ['pg:orders:1', 'pg:orders:2']),
      commit: 'http://127.0.0.1:1/elsewhere',
    };
    const refused = await post('/v1/transactions/at-5/branches', conflicting);
    assert.equal(refused.json.error?.code, 'BRANCH_CONFLICT');
    assert.deepEqual(
      (await server.store.locks.heldBy('at-5')).map((l) => l.key),
      ['pg:orders:1'],
      'only the keys this call took went back',
    );
  });

  it('refuses lock keys on other modes and keys that are not resource:table:pk', async () => {
    assert.equal((await post('/v1/transactions', { gid: 'xa-1', mode: 'xa' })).status, 201);
    const onXa = await post('/v1/transactions/xa-1/branches', branch('b1', ['pg:stock:1']));
    assert.equal(onXa.status, 400);
    assert.match(
      JSON.stringify(onXa.json.error),
      /lockKeys.*only taken by branches of at transactions/,
    );
    assert.equal((await post('/v1/transactions', { gid: 'at-6', mode: 'at' })).status, 201);
    const bad = await post('/v1/transactions/at-6/branches', branch('b1', ['stock:1']));
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json.error), /lockKeys\/0/);
  });

  for (const end of ['submit', 'abort'] as const) {
    it(`releases the locks once the branches are done after ${end === 'submit' ? 'a submit' : 'an abort'}`, async () => {
      const gid = `at-${end}`;
      assert.equal((await post('/v1/transactions', { gid, mode: 'at' })).status, 201);
      const keys = [`pg:stock:${end}`];
      const registered = await post(`/v1/transactions/${gid}/branches`, {
        ...branch('b1', keys),
        commit: participantUrl,
        rollback: participantUrl,
      });
      assert.equal(registered.status, 200, JSON.stringify(registered.json));
      const ended = await post(`/v1/transactions/${gid}/${end}`, {});
      assert.equal(ended.status, 200, JSON.stringify(ended.json));
      const status = await terminalStatus(gid);
      assert.equal(status, end === 'submit' ? 'succeeded' : 'failed');
      assert.ok(calls.includes(`${gid}:${end === 'submit' ? 'commit' : 'rollback'}`));
      assert.deepEqual(await server.store.locks.heldBy(gid), []);
    });
  }
});
