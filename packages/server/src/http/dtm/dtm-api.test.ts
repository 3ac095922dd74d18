/**
 * Contract tests of the DTM-compatible API, written from DTM's documented HTTP protocol:
 * a client speaks to `/api/dtmsvr` over HTTP and participants see DTM's convention.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../../config/config.js';
import type { RunningServer } from '../../server.js';
import { startServer } from '../../server.js';
import { DtmParticipant } from '../../../test-support/dtm-participant.js';

interface Reply {
  status: number;
  json: Record<string, unknown> & {
    transaction?: Record<string, unknown> | null;
    branches?: Array<Record<string, unknown>>;
  };
}

describe('DTM-compatible API', () => {
  let server: RunningServer;
  const participant = new DtmParticipant();
  const dir = tempDir('accord-dtm-');

  before(async () => {
    await participant.start();
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_RETRY_FIRST_MS: '50',
          ACCORD_RETRY_MAX_MS: '200',
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    await participant.stop();
    dir.remove();
  });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${server.url}/api/dtmsvr/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Reply['json'] };
  }
  const newGid = async () => (await call('GET', 'newGid')).json['gid'] as string;
  const query = async (gid: string) => (await call('GET', `query?gid=${gid}`)).json;
  const statusOf = async (gid: string) => (await query(gid)).transaction?.['status'];
  const until = (gid: string, status: string) =>
    waitFor(async () => (await statusOf(gid)) === status, { what: `${gid} ${status}` });
  const u = (path: string) => `${participant.url}${path}`;

  it('answers ping, version and newGid', async () => {
    const ping = await fetch(`${server.url}/api/ping`);
    assert.deepEqual(await ping.json(), { msg: 'pong' });
    assert.equal((await call('GET', 'version')).status, 200);
    const gid = await call('GET', 'newGid');
    assert.equal(gid.json['dtm_result'], 'SUCCESS');
    assert.match(gid.json['gid'] as string, /^\d+$/);
  });

  it('runs a saga: POST with the payload, DTM query parameters, branch_headers', async () => {
    const gid = await newGid();
    participant.script(() => ({ status: 200 }));
    const res = await call('POST', 'submit', {
      gid,
      trans_type: 'saga',
      steps: [
        { action: u('/TransOut'), compensate: u('/TransOutCompensate') },
        { action: u('/TransIn'), compensate: u('/TransInCompensate') },
      ],
      payloads: ['{"amount":30}', '{"amount":30}'],
      branch_headers: { 'x-tenant': 'acme' },
      wait_result: true,
    });
    assert.deepEqual(res, { status: 200, json: { dtm_result: 'SUCCESS' } });
    assert.deepEqual(participant.seen(gid), ['/TransOut:action', '/TransIn:action']);
    const first = participant.calls.find((c) => c.query['gid'] === gid)!;
    assert.equal(first.method, 'POST');
    assert.equal(first.body, '{"amount":30}');
    assert.deepEqual(first.query, { gid, trans_type: 'saga', branch_id: '01', op: 'action' });
    assert.equal(first.headers['x-tenant'], 'acme');
    const q = await query(gid);
    assert.equal(q.transaction?.['status'], 'succeed');
    assert.equal(q.transaction?.['trans_type'], 'saga');
    assert.deepEqual(q.transaction?.['payloads'], ['{"amount":30}', '{"amount":30}']);
    assert.ok(q.branches?.every((b) => ['succeed', 'prepared'].includes(b['status'] as string)));
    // One engine underneath: the native API shows the same transaction.
    const native = await fetch(`${server.url}/v1/transactions/${gid}`);
    const body = (await native.json()) as { transaction: { mode: string; options: object } };
    assert.equal(body.transaction.mode, 'saga');
    assert.deepEqual((body.transaction.options as { dialect?: string }).dialect, 'dtm');
  });

  it('compensates a saga whose action answers FAILURE in a 200 body (older participants)', async () => {
    const gid = await newGid();
    participant.script((c) =>
      c.path === '/TransIn' && c.query['op'] === 'action'
        ? { status: 200, body: '{"dtm_result":"FAILURE"}' }
        : { status: 200 },
    );
    const res = await call('POST', 'submit', {
      gid,
      trans_type: 'saga',
      steps: [
        { action: u('/TransOut'), compensate: u('/TransOutCompensate') },
        { action: u('/TransIn'), compensate: u('/TransInCompensate') },
      ],
      payloads: ['{}', '{}'],
      wait_result: true,
    });
    assert.equal(res.status, 409);
    assert.equal(res.json['dtm_result'], 'FAILURE');
    assert.equal(await statusOf(gid), 'failed');
    const seen = participant.seen(gid);
    assert.deepEqual(seen.slice(0, 2), ['/TransOut:action', '/TransIn:action']);
    assert.deepEqual(
      new Set(seen.slice(2)),
      new Set(['/TransInCompensate:compensate', '/TransOutCompensate:compensate']),
    );
  });

  it('runs a concurrent saga in the order custom_data.orders gives', async () => {
    const gid = await newGid();
    participant.script(() => ({ status: 200 }));
    const res = await call('POST', 'submit', {
      gid,
      trans_type: 'saga',
      steps: [{ action: u('/a') }, { action: u('/b') }, { action: u('/c') }],
      payloads: ['{}', '{}', '{}'],
      custom_data: JSON.stringify({ concurrent: true, orders: { 2: [0, 1] } }),
      wait_result: true,
    });
    assert.equal(res.status, 200);
    const seen = participant.seen(gid);
    assert.equal(seen[2], '/c:action');
    assert.deepEqual(new Set(seen.slice(0, 2)), new Set(['/a:action', '/b:action']));
    const custom: unknown = JSON.parse((await query(gid)).transaction?.['custom_data'] as string);
    assert.deepEqual(custom, { concurrent: true, orders: { 2: [0, 1] } });
  });

  it('runs a tcc: prepare, registerBranch (and its aliases), submit → confirm with GET or POST', async () => {
    const gid = await newGid();
    participant.script(() => ({ status: 200 }));
    assert.equal((await call('POST', 'prepare', { gid, trans_type: 'tcc' })).status, 200);
    const reg1 = await call('POST', 'registerBranch', {
      gid,
      branch_id: '01',
      trans_type: 'tcc',
      status: 'prepared',
      data: '{"amount":30}',
      confirm: u('/TransOutConfirm'),
      cancel: u('/TransOutRevert'),
    });
    assert.deepEqual(reg1, { status: 200, json: { dtm_result: 'SUCCESS' } });
    const reg2 = await call('POST', 'registerTccBranch', {
      gid,
      branch_id: '02',
      trans_type: 'tcc',
      data: '',
      confirm: u('/TransInConfirm'),
      cancel: u('/TransInRevert'),
    });
    assert.equal(reg2.status, 200);
    const bad = await call('POST', 'registerBranch', { gid, branch_id: 3, confirm: u('/x') });
    assert.equal(bad.status, 400);
    const sub = await call('POST', 'submit', { gid, trans_type: 'tcc', wait_result: true });
    assert.deepEqual(sub, { status: 200, json: { dtm_result: 'SUCCESS' } });
    assert.deepEqual(
      new Set(participant.seen(gid)),
      new Set(['/TransOutConfirm:confirm', '/TransInConfirm:confirm']),
    );
    const byPath = (p: string) =>
      participant.calls.find((c) => c.query['gid'] === gid && c.path === p)!;
    assert.equal(byPath('/TransOutConfirm').method, 'POST');
    assert.equal(byPath('/TransOutConfirm').body, '{"amount":30}');
    assert.equal(byPath('/TransInConfirm').method, 'GET');
    // Submitting a finished transaction again is refused the way DTM refuses it.
    const again = await call('POST', 'submit', { gid, trans_type: 'tcc' });
    assert.equal(again.status, 409);
    assert.equal(again.json['dtm_result'], 'FAILURE');
  });

  it('aborts a tcc with its rollback_reason: cancels every branch', async () => {
    const gid = await newGid();
    await call('POST', 'prepare', { gid, trans_type: 'tcc' });
    await call('POST', 'registerBranch', {
      gid,
      branch_id: '01',
      trans_type: 'tcc',
      data: '{}',
      confirm: u('/Confirm'),
      cancel: u('/Cancel'),
    });
    const res = await call('POST', 'abort', {
      gid,
      trans_type: 'tcc',
      rollback_reason: 'out of stock',
    });
    assert.equal(res.status, 200);
    await until(gid, 'failed');
    assert.deepEqual(participant.seen(gid), ['/Cancel:cancel']);
    assert.equal((await query(gid)).transaction?.['rollback_reason'], 'out of stock');
  });

  it('runs an xa: phase two through the branch URL with op commit, always POST', async () => {
    const gid = await newGid();
    await call('POST', 'prepare', { gid, trans_type: 'xa' });
    const reg = await call('POST', 'registerXaBranch', {
      gid,
      branch_id: '01',
      trans_type: 'xa',
      url: u('/xa'),
    });
    assert.equal(reg.status, 200);
    await call('POST', 'submit', { gid, trans_type: 'xa', wait_result: true });
    const seen = participant.calls.filter((c) => c.query['gid'] === gid);
    assert.deepEqual(
      seen.map((c) => [c.method, c.path, c.query['op']]),
      [['POST', '/xa', 'commit']],
    );
  });

  it('asks query_prepared of a prepared msg (branch 00, op msg) and delivers once it commits', async () => {
    const gid = await newGid();
    let committed = false;
    participant.script((c) =>
      c.path === '/QueryPrepared' && !committed
        ? { status: 425, body: '{"dtm_result":"ONGOING"}' }
        : { status: 200 },
    );
    const prep = await call('POST', 'prepare', {
      gid,
      trans_type: 'msg',
      steps: [{ action: u('/TransIn') }],
      payloads: ['{"amount":30}'],
      query_prepared: u('/QueryPrepared'),
      timeout_to_fail: 1,
      retry_interval: 1,
    });
    assert.equal(prep.status, 200);
    await waitFor(() => participant.seen(gid).includes('/QueryPrepared:msg'), {
      what: 'check-back',
    });
    const check = participant.calls.find((c) => c.query['gid'] === gid)!;
    assert.equal(check.method, 'GET');
    assert.equal(check.query['branch_id'], '00');
    assert.equal(check.query['trans_type'], 'msg');
    committed = true;
    await until(gid, 'succeed');
    assert.equal(participant.seen(gid).at(-1), '/TransIn:action');
  });

  it('submits a msg without prepare (no query_prepared needed)', async () => {
    const gid = await newGid();
    participant.script(() => ({ status: 200 }));
    const res = await call('POST', 'submit', {
      gid,
      trans_type: 'msg',
      steps: [{ action: u('/Deliver') }],
      payloads: ['{"n":1}'],
      wait_result: true,
    });
    assert.deepEqual(res, { status: 200, json: { dtm_result: 'SUCCESS' } });
    assert.deepEqual(participant.seen(gid), ['/Deliver:action']);
  });

  it('forceStop marks a stuck transaction failed', async () => {
    const gid = await newGid();
    participant.script(() => ({ status: 500, body: 'down' }));
    await call('POST', 'submit', {
      gid,
      trans_type: 'saga',
      steps: [{ action: u('/down') }],
      payloads: ['{}'],
    });
    await waitFor(() => participant.seen(gid).length >= 1, { what: 'a first attempt' });
    const res = await call('POST', 'forceStop', { gid });
    assert.deepEqual(res, { status: 200, json: { dtm_result: 'SUCCESS' } });
    assert.equal(await statusOf(gid), 'failed');
    assert.equal((await call('POST', 'forceStop', { gid })).status, 409);
  });

  it('refuses what it does not run, in DTM terms', async () => {
    const wf = await call('POST', 'submit', { gid: 'wf-1', trans_type: 'workflow' });
    assert.equal(wf.status, 400);
    assert.equal(wf.json['dtm_result'], 'FAILURE');
    assert.match(wf.json['message'] as string, /workflow mode is not supported/);
    const ssrf = await call('POST', 'submit', {
      gid: 'ssrf-1',
      trans_type: 'saga',
      steps: [{ action: 'http://169.254.169.254/latest' }],
      payloads: ['{}'],
    });
    assert.equal(ssrf.status, 400);
    assert.match(ssrf.json['message'] as string, /\/steps\/0\/action: .*denied/);
    const hdr = await call('POST', 'prepare', {
      gid: 'hdr-1',
      trans_type: 'tcc',
      branch_headers: { host: 'x' },
    });
    assert.match(hdr.json['message'] as string, /^\/branch_headers\/host: is reserved/);
    const unknown = await query('no-such-gid');
    assert.deepEqual(unknown, { transaction: null, branches: [] });
  });

  it('pages all by position and limit, filtered by status and transType', async () => {
    const gids: string[] = [];
    participant.script(() => ({ status: 200 }));
    for (let i = 0; i < 3; i++) {
      const gid = await newGid();
      gids.push(gid);
      await call('POST', 'prepare', { gid, trans_type: 'tcc' });
    }
    const seen: string[] = [];
    let position = '';
    for (let page = 0; page < 10; page++) {
      const res = await call(
        'GET',
        `all?transType=tcc&status=prepared&limit=2&position=${position}`,
      );
      const items = res.json['transactions'] as Array<{ gid: string; status: string }>;
      assert.ok(items.length <= 2);
      assert.ok(items.every((t) => t.status === 'prepared'));
      seen.push(...items.map((t) => t.gid));
      position = res.json['next_position'] as string;
      if (position === '') break;
    }
    for (const gid of gids) assert.ok(seen.includes(gid), `${gid} listed`);
    const one = await call('GET', `all?gid=${gids[0]}`);
    assert.equal((one.json['transactions'] as unknown[]).length, 1);
    const bad = await call('GET', 'all?status=done');
    assert.equal(bad.status, 400);
  });
});
