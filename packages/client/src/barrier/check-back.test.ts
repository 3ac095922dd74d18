import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '@accord/testkit';
import { accordHandler } from '../participant/node-handler.js';
import { signPayload } from '@accord/protocol';
import { post } from '../../test-support/handler-conformance.js';
import { checkBackHandler } from './check-back.js';
import { sqliteBarrier } from './sqlite-barrier.js';

describe('checkBackHandler', () => {
  const dir = tempDir('accord-check-back-');
  const db = new Database(join(dir.path, 'producer.db'));
  const barrier = sqliteBarrier();
  const server = createServer(
    accordHandler(
      checkBackHandler((gid) => barrier.checkPrepared(db, gid)),
      { secret: 'check-secret' },
    ),
  );
  let url = '';

  before(async () => {
    barrier.migrate(db);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/check`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    db.close();
    dir.remove();
  });

  const check = (gid: string) =>
    post(url, {
      'accord-gid': gid,
      'accord-branch': '_check',
      'accord-op': 'check',
      'accord-mode': 'msg',
      'accord-signature': signPayload(
        'check-secret',
        { gid, branchId: '_check', op: 'check', mode: 'msg' },
        '',
      ),
    });

  test('200 when the local transaction committed', async () => {
    db.transaction(() => barrier.msg(db, 'm-committed'))();
    const res = await check('m-committed');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'committed' });
  });

  test('409 when it did not, and the late commit then fails', async () => {
    const res = await check('m-late');
    assert.equal(res.status, 409);
    assert.equal((res.json as { error: { code: string } }).error.code, 'BRANCH_FAILED');
    assert.throws(() => db.transaction(() => barrier.msg(db, 'm-late'))(), /UNIQUE/);
    assert.equal((await check('m-late')).status, 409);
  });
});
