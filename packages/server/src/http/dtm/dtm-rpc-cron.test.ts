/**
 * DTM's JSON-RPC endpoint, `resetCronTime` / `resetNextCronTime` and `abort` with
 * `wait_result`, against a server with tokens set (client and admin), as DTM's SDKs and
 * dashboard call them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../../config/config.js';
import type { RunningServer } from '../../server.js';
import { startServer } from '../../server.js';
import { DtmParticipant } from '../../../test-support/dtm-participant.js';

const CLIENT = 'client-token-for-dtm-tests';
const ADMIN = 'admin-token-for-dtm-tests';

type Json = Record<string, unknown>;

describe('DTM JSON-RPC, resetCronTime and abort wait_result', () => {
  let server: RunningServer;
  const participant = new DtmParticipant();
  const dir = tempDir('accord-dtm-rpc-');

  before(async () => {
    await participant.start();
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
          ACCORD_POLL_INTERVAL_MS: '50',
          ACCORD_WAIT_RESULT_CAP_MS: '4000',
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    await participant.stop();
    dir.remove();
  });

  const auth = (token: string | null): Record<string, string> =>
    token === null ? {} : { authorization: `Bearer ${token}` };

  async function rpc(body: unknown, token: string | null = CLIENT, raw?: string) {
    const res = await fetch(`${server.url}/api/json-rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(token) },
      body: raw ?? JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }
  const call = (method: string, params: unknown = {}, id: unknown = 'no-use') =>
    rpc({ jsonrpc: '2.0', id, method, params });

  async function dtm(method: 'GET' | 'POST', path: string, body?: unknown, token = CLIENT) {
    const res = await fetch(`${server.url}/api/dtmsvr/${path}`, {
      method,
      headers: {
        ...auth(token),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }
  const statusOf = async (gid: string) => {
    const q = await dtm('GET', `query?gid=${gid}`);
    return (q.json['transaction'] as Json | null)?.['status'];
  };
  const until = (gid: string, status: string) =>
    waitFor(async () => (await statusOf(gid)) === status, { what: `${gid} ${status}` });
  const u = (path: string) => `${participant.url}${path}`;
  const newGid = async () => {
    const reply = await call('newGid');
    return (reply.json['result'] as { gid: string }).gid;
  };

  it('JSON-RPC runs a tcc the way DTM SDKs call it: newGid, prepare, registerBranch, submit', async () => {
    participant.script(() => ({ status: 200 }));
    const gidReply = await call('newGid', '', 7);
    assert.equal(gidReply.status, 200);
    assert.equal(gidReply.json['id'], 7, 'numeric ids are echoed');
    assert.equal(gidReply.json['jsonrpc'], '2.0');
    const gid = (gidReply.json['result'] as { gid: string }).gid;
    assert.match(gid, /^\d+$/);

    const prepared = await call('prepare', { gid, trans_type: 'tcc' });
    assert.deepEqual(prepared, {
      status: 200,
      json: { jsonrpc: '2.0', id: 'no-use', result: null },
    });
    const registered = await call('registerBranch', {
      gid,
      trans_type: 'tcc',
      branch_id: '01',
      confirm: u('/confirm'),
      cancel: u('/cancel'),
      data: '{"amount":30}',
    });
    assert.equal(registered.json['error'], undefined);
    const submitted = await call('submit', { gid, trans_type: 'tcc', wait_result: true });
    assert.deepEqual(submitted.json, { jsonrpc: '2.0', id: 'no-use', result: null });
    assert.equal(await statusOf(gid), 'succeed');
    assert.deepEqual(participant.seen(gid), ['/confirm:confirm']);
  });

  it("JSON-RPC answers DTM's codes: failure -32901, and JSON-RPC's own for bad requests", async () => {
    const gid = await newGid();
    await call('prepare', { gid, trans_type: 'tcc' });
    await call('abort', { gid, trans_type: 'tcc' });
    const late = await call('submit', { gid, trans_type: 'tcc' });
    assert.equal(late.status, 200);
    assert.equal((late.json['error'] as Json)['code'], -32901);
    assert.equal(late.json['result'], undefined);

    const unknownGid = await call('registerBranch', {
      gid: 'no-such-gid',
      trans_type: 'tcc',
      branch_id: '01',
      confirm: u('/c'),
      cancel: u('/x'),
    });
    assert.equal((unknownGid.json['error'] as Json)['code'], -32901);

    const code = (r: { json: Json }) => (r.json['error'] as Json | undefined)?.['code'];
    assert.equal(code(await call('query', {})), -32601, 'only the five DTM methods');
    assert.equal(code(await call('toString', {})), -32601);
    assert.equal(code(await call('prepare', [gid])), -32602, 'params must be an object');
    assert.equal(code(await call('prepare', { trans_type: 'tcc' })), -32602, 'gid is required');
    assert.equal(code(await rpc({ jsonrpc: '1.0', id: '1', method: 'newGid' })), -32600);
    assert.equal(code(await rpc({ jsonrpc: '2.0', method: 'newGid' })), -32600, 'id required');
    assert.equal(code(await rpc([{ jsonrpc: '2.0', id: '1', method: 'newGid' }])), -32600);
    const parse = await rpc(undefined, CLIENT, '{"jsonrpc": "2.0", "id": ');
    assert.equal(parse.status, 200);
    assert.equal(code(parse), -32700);
  });

  it('JSON-RPC needs the client token, like the HTTP routes', async () => {
    const denied = await rpc({ jsonrpc: '2.0', id: '1', method: 'newGid' }, null);
    assert.equal(denied.status, 401);
    assert.equal((denied.json['error'] as Json)['code'], -32000);
    assert.equal(((denied.json['error'] as Json)['data'] as Json)['code'], 'UNAUTHORIZED');
    const wrong = await rpc({ jsonrpc: '2.0', id: '1', method: 'newGid' }, 'nope');
    assert.equal(wrong.status, 401);
    const admin = await rpc({ jsonrpc: '2.0', id: '1', method: 'newGid' }, ADMIN);
    assert.equal(admin.json['error'], undefined);
  });

  it('abort with wait_result answers once the cancels are done', async () => {
    participant.script(() => ({ status: 200 }));
    const gid = await newGid();
    await dtm('POST', 'prepare', { gid, trans_type: 'tcc' });
    await dtm('POST', 'registerBranch', {
      gid,
      trans_type: 'tcc',
      branch_id: '01',
      confirm: u('/confirm'),
      cancel: u('/cancel'),
    });
    const res = await dtm('POST', 'abort', { gid, trans_type: 'tcc', wait_result: true });
    assert.deepEqual(res, { status: 200, json: { dtm_result: 'SUCCESS' } });
    // Answered after the end, not before: the cancel ran and the status is final.
    assert.deepEqual(participant.seen(gid), ['/cancel:cancel']);
    assert.equal(await statusOf(gid), 'failed');
    // Repeating it is idempotent and still waits for (already reached) the end.
    const again = await dtm('POST', 'abort', { gid, trans_type: 'tcc', wait_result: true });
    assert.equal(again.status, 200);
  });

  it('abort with wait_result answers 425 ONGOING (and JSON-RPC -32902) at the wait cap', async () => {
    participant.script((c) => (c.query['op'] === 'cancel' ? { status: 500 } : { status: 200 }));
    const gid = await newGid();
    // A budget that outlasts both waits, so the cancel is still retried, not parked.
    await dtm('POST', 'prepare', { gid, trans_type: 'tcc', retry_limit: 1000 });
    await dtm('POST', 'registerBranch', {
      gid,
      trans_type: 'tcc',
      branch_id: '01',
      confirm: u('/confirm'),
      cancel: u('/cancel'),
    });
    const res = await dtm('POST', 'abort', { gid, trans_type: 'tcc', wait_result: true });
    assert.equal(res.status, 425);
    assert.equal(res.json['dtm_result'], 'ONGOING');
    assert.equal(await statusOf(gid), 'aborting');
    const viaRpc = await call('abort', { gid, trans_type: 'tcc', wait_result: true });
    assert.equal((viaRpc.json['error'] as Json)['code'], -32902);
    participant.script(() => ({ status: 200 }));
    await until(gid, 'failed');
  });

  /** A saga whose first action fails once (500) and then waits an hour for its retry. */
  async function sagaWaitingAnHour(): Promise<string> {
    const gid = await newGid();
    let failed = false;
    participant.script((c) => {
      if (c.query['gid'] === gid && !failed) {
        failed = true;
        return { status: 500 };
      }
      return { status: 200 };
    });
    await dtm('POST', 'submit', {
      gid,
      trans_type: 'saga',
      steps: [{ action: u('/slow'), compensate: u('/slow-undo') }],
      payloads: ['{}'],
      retry_interval: 3600,
    });
    await waitFor(async () => participant.seen(gid).length === 1, { what: `${gid} first try` });
    await waitFor(
      async () => {
        const native = await fetch(`${server.url}/v1/transactions/${gid}`, {
          headers: auth(CLIENT),
        });
        const body = (await native.json()) as { transaction: { nextAttemptAt: string | null } };
        const next = body.transaction.nextAttemptAt;
        return next !== null && Date.parse(next) > Date.now() + 600_000;
      },
      { what: `${gid} waiting for its retry` },
    );
    return gid;
  }

  it('resetNextCronTime retries one waiting transaction now (admin token)', async () => {
    const gid = await sagaWaitingAnHour();
    const forbidden = await dtm('POST', 'resetNextCronTime', { gid }, CLIENT);
    assert.equal(forbidden.status, 403);
    const res = await dtm('POST', 'resetNextCronTime', { gid }, ADMIN);
    assert.deepEqual(res, { status: 200, json: { dtm_result: 'SUCCESS' } });
    await until(gid, 'succeed');
    assert.deepEqual(participant.seen(gid), ['/slow:action', '/slow:action']);
    const done = await dtm('POST', 'resetNextCronTime', { gid }, ADMIN);
    assert.equal(done.status, 409, 'nothing to retry in a finished transaction');
    assert.equal(done.json['dtm_result'], 'FAILURE');
    const missing = await dtm('POST', 'resetNextCronTime', { gid: 'nope' }, ADMIN);
    assert.equal(missing.status, 409);
    const noGid = await dtm('POST', 'resetNextCronTime', {}, ADMIN);
    assert.equal(noGid.status, 400);
  });

  it('resetCronTime brings forward what waits longer than timeout, limit at a time', async () => {
    const first = await sagaWaitingAnHour();
    const second = await sagaWaitingAnHour();
    const forbidden = await dtm('GET', 'resetCronTime?timeout=60&limit=1', undefined, CLIENT);
    assert.equal(forbidden.status, 403);
    // Nothing waits longer than two hours.
    const none = await dtm('GET', 'resetCronTime?timeout=7200', undefined, ADMIN);
    assert.deepEqual(none, { status: 200, json: { has_remaining: false, succeed_count: 0 } });
    const one = await dtm('GET', 'resetCronTime?timeout=60&limit=1', undefined, ADMIN);
    assert.deepEqual(one, { status: 200, json: { has_remaining: true, succeed_count: 1 } });
    const rest = await dtm('GET', 'resetCronTime?timeout=60&limit=5', undefined, ADMIN);
    assert.deepEqual(rest, { status: 200, json: { has_remaining: false, succeed_count: 1 } });
    await until(first, 'succeed');
    await until(second, 'succeed');
    const bad = await dtm('GET', 'resetCronTime?limit=-1', undefined, ADMIN);
    assert.equal(bad.status, 400);
    assert.match(String(bad.json['message']), /limit/);
  });
});
