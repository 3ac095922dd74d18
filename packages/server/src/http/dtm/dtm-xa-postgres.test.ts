/**
 * A DTM xa transaction with a PostgreSQL participant that follows DTM's conventions
 * (prepared local transactions, DTM's barrier table, phase two at its registered URL
 * with `op=commit|rollback`), driven through `/api/dtmsvr` as DTM's SDKs drive it.
 * Needs a PostgreSQL with prepared transactions: the private one `npm test` starts
 * (ACCORD_TEST_XA_POSTGRES_URL); the shared server is never reconfigured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { requireService, SERVICES, tempDir, uniqueName, waitFor } from '@accord/testkit';
import { loadConfig } from '../../config/config.js';
import type { RunningServer } from '../../server.js';
import { startServer } from '../../server.js';
import { DtmXaParticipant } from '../../../test-support/dtm-xa-participant.js';

const skip = await requireService('postgresXa');

describe('DTM xa with a PostgreSQL participant', { skip: skip ?? false }, () => {
  let server: RunningServer;
  let participant: DtmXaParticipant;
  const dir = tempDir('accord-dtm-xa-');
  const database = uniqueName('dtm_xa_');
  const serverUrl = SERVICES.postgresXa.url!;

  async function admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  before(async () => {
    // A database of its own: DTM's barrier table lives in the fixed schema dtm_barrier.
    await admin(`create database "${database}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    participant = await new DtmXaParticipant(url.toString()).start();
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
    await server?.close();
    await participant?.stop();
    await admin(`drop database if exists "${database}"`);
    dir.remove();
  });

  async function dtm(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${server.url}/api/dtmsvr/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  /** The business call an xa app makes through DTM's SDK (TransRequestBranch). */
  async function transfer(gid: string, branchId: string, account: string, amount: number) {
    const query = new URLSearchParams({
      dtm: `${server.url}/api/dtmsvr`,
      gid,
      branch_id: branchId,
      trans_type: 'xa',
      op: 'action',
      phase2_url: `${participant.url}/xa/phase2`,
    });
    const res = await fetch(`${participant.url}/xa/transfer?${query.toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account, amount }),
    });
    return res.status;
  }

  const phase2Calls = (gid: string) =>
    participant.calls
      .filter((c) => c.path === '/xa/phase2' && c.query['gid'] === gid)
      .map((c) => `${c.query['branch_id']}:${c.query['op']}:${c.status}`);

  it('commits: both branches prepared until submit, then committed at their phase-two URL', async () => {
    const [a, b] = [uniqueName('a'), uniqueName('b')];
    await participant.open({ [a]: 100, [b]: 100 });
    const gid = uniqueName('xa-commit');
    assert.equal((await dtm('prepare', { gid, trans_type: 'xa' })).status, 200);
    assert.equal(await transfer(gid, '01', a, -30), 200);
    assert.equal(await transfer(gid, '02', b, 30), 200);
    // Prepared, not committed: another connection sees neither change.
    assert.deepEqual(await participant.prepared(gid), [`${gid}-01`, `${gid}-02`]);
    assert.deepEqual([await participant.balance(a), await participant.balance(b)], [100, 100]);

    const submitted = await dtm('submit', { gid, trans_type: 'xa', wait_result: true });
    assert.deepEqual(submitted, { status: 200, json: { dtm_result: 'SUCCESS' } });
    assert.deepEqual([await participant.balance(a), await participant.balance(b)], [70, 130]);
    assert.deepEqual(await participant.prepared(gid), []);
    assert.deepEqual(phase2Calls(gid).sort(), ['01:commit:200', '02:commit:200']);
    const commit = participant.calls.find((c) => c.path === '/xa/phase2' && c.query['gid'] === gid);
    assert.equal(commit?.query['trans_type'], 'xa');
    assert.deepEqual(await participant.barrier(gid), [
      '01:action:01:action',
      '02:action:01:action',
    ]);
  });

  it('rolls back: a refused branch makes the app abort, the prepared one is rolled back', async () => {
    const [a, b] = [uniqueName('a'), uniqueName('b')];
    await participant.open({ [a]: 100, [b]: 10 });
    const gid = uniqueName('xa-rollback');
    await dtm('prepare', { gid, trans_type: 'xa' });
    assert.equal(await transfer(gid, '01', a, 30), 200);
    assert.equal(await transfer(gid, '02', b, -30), 409, 'insufficient funds');
    assert.deepEqual(await participant.prepared(gid), [`${gid}-01`]);

    const aborted = await dtm('abort', { gid, trans_type: 'xa', wait_result: true });
    assert.deepEqual(aborted, { status: 200, json: { dtm_result: 'SUCCESS' } });
    assert.deepEqual(await participant.prepared(gid), []);
    assert.deepEqual([await participant.balance(a), await participant.balance(b)], [100, 10]);
    // Only the registered branch gets phase two; it leaves DTM's rollback row.
    assert.deepEqual(phase2Calls(gid), ['01:rollback:200']);
    assert.deepEqual(await participant.barrier(gid), ['01:action:01:rollback']);
    // A local transaction arriving after the rollback is refused by that row.
    assert.equal(await transfer(gid, '01', a, 30), 409);
    assert.deepEqual(await participant.prepared(gid), []);
    assert.equal(await participant.balance(a), 100);
  });

  it('a duplicate phase-two call is a success that changes nothing', async () => {
    const [a, b] = [uniqueName('a'), uniqueName('b')];
    await participant.open({ [a]: 100, [b]: 100 });
    const gid = uniqueName('xa-twice');
    await dtm('prepare', { gid, trans_type: 'xa' });
    assert.equal(await transfer(gid, '01', a, -5), 200);
    await dtm('submit', { gid, trans_type: 'xa', wait_result: true });
    assert.equal(await participant.balance(a), 95);

    // The coordinator's call again, exactly as it made it (POST, DTM's query string).
    const commit = participant.calls.find((c) => c.path === '/xa/phase2' && c.query['gid'] === gid);
    assert.ok(commit);
    const again = await fetch(
      `${participant.url}/xa/phase2?${new URLSearchParams(commit.query).toString()}`,
      {
        method: 'POST',
      },
    );
    assert.equal(again.status, 200);
    assert.equal(await participant.balance(a), 95);

    // And a rollback that repeats after its transaction is gone.
    const gid2 = uniqueName('xa-twice-rb');
    await dtm('prepare', { gid: gid2, trans_type: 'xa' });
    assert.equal(await transfer(gid2, '01', b, 7), 200);
    await dtm('abort', { gid: gid2, trans_type: 'xa', wait_result: true });
    const rollback = new URLSearchParams({
      gid: gid2,
      trans_type: 'xa',
      branch_id: '01',
      op: 'rollback',
    });
    const twice = await fetch(`${participant.url}/xa/phase2?${rollback.toString()}`, {
      method: 'POST',
    });
    assert.equal(twice.status, 200);
    assert.equal(await participant.balance(b), 100);
    assert.deepEqual(await participant.barrier(gid2), ['01:action:01:rollback']);
    await waitFor(async () => (await participant.prepared(gid2)).length === 0, {
      what: 'nothing prepared',
    });
  });
});
