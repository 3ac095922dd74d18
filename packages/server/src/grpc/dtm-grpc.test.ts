/**
 * DTM's gRPC API end to end on loopback: a DTM-style gRPC client talks to a coordinator's
 * `dtmgimp.Dtm` service, and real gRPC participants receive the branch calls with the
 * payload bytes unchanged and DTM's metadata.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir, waitFor } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';
import { DtmGrpcClient } from '../../test-support/dtm-grpc-client.js';
import { GrpcParticipant } from '../../test-support/grpc-participant.js';

const ABORTED = 10;
const FAILED_PRECONDITION = 9;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;
const INVALID_ARGUMENT = 3;
const UNIMPLEMENTED = 12;

/** Bytes no text encoding survives: a protobuf-like message with 0x00 and 0xff. */
const BYTES = Buffer.from([0x08, 0x1e, 0x12, 0x02, 0x00, 0xff, 0x80]);

const METHODS = [
  'TransOut',
  'TransOutRevert',
  'TransIn',
  'TransInRevert',
  'TransInConfirm',
  'TransInCancel',
  'QueryPrepared',
];

function start(dir: string, extra: Record<string, string> = {}): Promise<RunningServer> {
  return startServer(
    loadConfig(
      {},
      {
        ACCORD_DATA_DIR: dir,
        ACCORD_PORT: '0',
        ACCORD_GRPC_PORT: '0',
        ACCORD_LOG_LEVEL: 'silent',
        ACCORD_RETRY_FIRST_MS: '50',
        ACCORD_RETRY_MAX_MS: '200',
        ACCORD_ONGOING_DELAY_MS: '50',
        ...extra,
      },
    ),
  );
}

describe("DTM's gRPC API", () => {
  const dir = tempDir('accord-grpc-');
  const busi = new GrpcParticipant('busi.Busi', METHODS);
  let server: RunningServer;
  let dtm: DtmGrpcClient;

  before(async () => {
    await busi.start();
    server = await start(dir.path);
    dtm = new DtmGrpcClient(server.grpcAddress!, dir.path);
  });
  after(async () => {
    dtm?.close();
    await server?.close();
    await busi.stop();
    dir.remove();
  });

  const newGid = async () => (await dtm.call('NewGid')).Gid as string;
  const query = async (gid: string) => {
    const res = await fetch(`${server.url}/api/dtmsvr/query?gid=${gid}`);
    return (await res.json()) as { transaction: { status: string } | null };
  };
  const until = (gid: string, status: string) =>
    waitFor(async () => (await query(gid)).transaction?.status === status, {
      what: `${gid} ${status}`,
    });
  const callsFor = (gid: string, method: string) =>
    busi.callsTo(method).filter((c) => c.metadata['dtm-gid'] === gid);

  it('runs a saga: payload bytes unchanged, DTM metadata, retries and ongoing', async () => {
    const gid = await newGid();
    let outCalls = 0;
    busi.script((call) => {
      if (call.metadata['dtm-gid'] !== gid || !call.method.endsWith('/TransOut')) return 0;
      outCalls += 1;
      return [UNAVAILABLE, FAILED_PRECONDITION, 0][outCalls - 1];
    });
    await dtm.call('Submit', {
      Gid: gid,
      TransType: 'saga',
      Steps: JSON.stringify([
        { action: busi.target('TransOut'), compensate: busi.target('TransOutRevert') },
        { action: busi.target('TransIn'), compensate: busi.target('TransInRevert') },
      ]),
      BinPayloads: [BYTES, Buffer.from('second')],
      TransOptions: { BranchHeaders: { 'x-tenant': 't1' } },
    });
    await until(gid, 'succeed');
    const out = callsFor(gid, 'TransOut');
    assert.equal(out.length, 3, 'retried after UNAVAILABLE and after FAILED_PRECONDITION');
    assert.deepEqual(out[2]!.body, BYTES);
    assert.equal(out[2]!.metadata['dtm-trans_type'], 'saga');
    assert.equal(out[2]!.metadata['dtm-branch_id'], '01');
    assert.equal(out[2]!.metadata['dtm-op'], 'action');
    assert.equal(out[2]!.metadata['dtm-dtm'], server.grpcAddress);
    assert.equal(out[2]!.metadata['x-tenant'], 't1');
    const into = callsFor(gid, 'TransIn');
    assert.equal(into.length, 1);
    assert.equal(into[0]!.body.toString(), 'second');
    assert.equal(into[0]!.metadata['dtm-branch_id'], '02');
    assert.equal(callsFor(gid, 'TransOutRevert').length, 0);
  });

  it('compensates a saga whose branch answers ABORTED; wait_result reports ABORTED', async () => {
    const gid = await newGid();
    busi.script((call) => (call.method.endsWith('/TransIn') ? ABORTED : 0));
    const code = await dtm.codeOf('Submit', {
      Gid: gid,
      TransType: 'saga',
      Steps: JSON.stringify([
        { action: busi.target('TransOut'), compensate: busi.target('TransOutRevert') },
        { action: busi.target('TransIn'), compensate: busi.target('TransInRevert') },
      ]),
      BinPayloads: [BYTES, BYTES],
      TransOptions: { WaitResult: true },
    });
    assert.equal(code, ABORTED);
    await until(gid, 'failed');
    const reverts = [...callsFor(gid, 'TransInRevert'), ...callsFor(gid, 'TransOutRevert')];
    assert.equal(reverts.length, 2);
    for (const call of reverts) {
      assert.deepEqual(call.body, BYTES);
      assert.equal(call.metadata['dtm-op'], 'compensate');
    }
  });

  it('runs a tcc through Prepare, RegisterBranch and Submit', async () => {
    const gid = await newGid();
    busi.script(() => 0);
    await dtm.call('Prepare', { Gid: gid, TransType: 'tcc', Steps: 'null' });
    for (const branch of ['01', '02']) {
      await dtm.call('RegisterBranch', {
        Gid: gid,
        TransType: 'tcc',
        BranchID: branch,
        Op: 'try',
        Data: { confirm: busi.target('TransInConfirm'), cancel: busi.target('TransInCancel') },
        BusiPayload: Buffer.concat([BYTES, Buffer.from(branch)]),
      });
    }
    assert.equal((await query(gid)).transaction?.status, 'prepared');
    await dtm.call('Submit', { Gid: gid, TransType: 'tcc' });
    await until(gid, 'succeed');
    const confirms = callsFor(gid, 'TransInConfirm');
    assert.deepEqual(confirms.map((c) => c.metadata['dtm-branch_id']).sort(), ['01', '02']);
    for (const call of confirms) {
      assert.equal(call.metadata['dtm-op'], 'confirm');
      const branch = call.metadata['dtm-branch_id']!;
      assert.deepEqual(call.body, Buffer.concat([BYTES, Buffer.from(branch)]));
    }
    assert.equal(callsFor(gid, 'TransInCancel').length, 0);
  });

  it('cancels a tcc aborted by its client', async () => {
    const gid = await newGid();
    busi.script(() => 0);
    await dtm.call('Prepare', { Gid: gid, TransType: 'tcc' });
    await dtm.call('RegisterBranch', {
      Gid: gid,
      BranchID: '01',
      Data: { confirm: busi.target('TransInConfirm'), cancel: busi.target('TransInCancel') },
      BusiPayload: BYTES,
    });
    await dtm.call('Abort', { Gid: gid, TransType: 'tcc', RollbackReason: 'try failed' });
    await until(gid, 'failed');
    assert.deepEqual(callsFor(gid, 'TransInCancel')[0]?.body, BYTES);
  });

  it('delivers a msg prepared, then submitted', async () => {
    const gid = await newGid();
    busi.script(() => 0);
    const msg = {
      Gid: gid,
      TransType: 'msg',
      Steps: JSON.stringify([{ action: busi.target('TransIn') }]),
      BinPayloads: [BYTES],
      QueryPrepared: busi.target('QueryPrepared'),
    };
    await dtm.call('Prepare', msg);
    assert.equal((await query(gid)).transaction?.status, 'prepared');
    await dtm.call('Submit', msg);
    await until(gid, 'succeed');
    assert.deepEqual(callsFor(gid, 'TransIn')[0]?.body, BYTES);
    assert.equal(callsFor(gid, 'TransIn')[0]?.metadata['dtm-trans_type'], 'msg');
  });

  it('runs a native saga with a grpc:// target: the JSON payload as bytes, Accord metadata', async () => {
    busi.script(() => 0);
    const gid = `native-grpc-${Date.now()}`;
    const res = await fetch(`${server.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        gid,
        mode: 'saga',
        steps: [{ action: `grpc://${busi.address}/busi.Busi/TransOut`, payload: { amount: 30 } }],
      }),
    });
    assert.equal(res.status, 201, await res.text());
    await waitFor(
      async () => busi.callsTo('TransOut').some((c) => c.metadata['accord-gid'] === gid),
      { what: 'the native gRPC call' },
    );
    const call = busi.callsTo('TransOut').find((c) => c.metadata['accord-gid'] === gid)!;
    assert.deepEqual(JSON.parse(call.body.toString()), { amount: 30 });
    assert.equal(call.metadata['accord-op'], 'action');
    assert.equal(call.metadata['dtm-gid'], undefined);
  });

  it('refuses targets the outbound policy denies, and malformed requests', async () => {
    const gid = await newGid();
    const denied = await dtm.codeOf('Submit', {
      Gid: gid,
      TransType: 'saga',
      Steps: JSON.stringify([{ action: '169.254.169.254:80/busi.Busi/TransOut' }]),
    });
    assert.equal(denied, INVALID_ARGUMENT);
    const noMethod = await dtm.codeOf('Submit', {
      Gid: gid,
      TransType: 'saga',
      Steps: JSON.stringify([{ action: `${busi.address}/not-a-method` }]),
    });
    assert.equal(noMethod, INVALID_ARGUMENT);
    assert.equal(await dtm.codeOf('Submit', { Gid: gid, TransType: 'saga', Steps: '{' }), 3);
    assert.equal(await dtm.codeOf('PrepareWorkflow', { Gid: gid }), UNIMPLEMENTED);
    assert.equal((await query(gid)).transaction, null);
  });
});

describe("DTM's gRPC API with tokens", () => {
  it('refuses calls without the bearer token in the authorization metadata', async () => {
    const dir = tempDir('accord-grpc-auth-');
    let server: RunningServer | undefined;
    const clients: DtmGrpcClient[] = [];
    try {
      server = await start(dir.path, { ACCORD_TOKEN: 'client-token-0123456789' });
      const anonymous = new DtmGrpcClient(server.grpcAddress!, dir.path);
      const wrong = new DtmGrpcClient(server.grpcAddress!, dir.path, 'not-the-token-000000');
      const holder = new DtmGrpcClient(server.grpcAddress!, dir.path, 'client-token-0123456789');
      clients.push(anonymous, wrong, holder);
      assert.equal(await anonymous.codeOf('NewGid'), UNAUTHENTICATED);
      assert.equal(await wrong.codeOf('NewGid'), UNAUTHENTICATED);
      assert.equal(
        await anonymous.codeOf('Prepare', { Gid: 'g-auth', TransType: 'tcc' }),
        UNAUTHENTICATED,
      );
      assert.match((await holder.call('NewGid')).Gid as string, /^\d+$/);
    } finally {
      for (const client of clients) client.close();
      await server?.close();
      dir.remove();
    }
  });
});
