import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BranchOp, Mode, TransactionRecord } from '@accord/core';
import { CHECK_BRANCH_ID, newOp } from '@accord/core';
import { dtmCallOf, dtmOutcome } from './dtm-convention.js';

const tx = (mode: Mode) => ({ gid: 'g 1', mode }) as TransactionRecord;
const op = (branchId: string, name: BranchOp['op'], payload: string) =>
  newOp(branchId, name, { url: 'http://p.test/branch?x=1', payload }, 0, 0);

describe('DTM calling convention', () => {
  it('adds gid, trans_type, branch_id and op to the query string', () => {
    const call = dtmCallOf(tx('saga'), op('01', 'compensate', '{"a":1}'));
    const url = new URL(call.url);
    assert.equal(call.method, 'POST');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      x: '1',
      gid: 'g 1',
      trans_type: 'saga',
      branch_id: '01',
      op: 'compensate',
    });
  });

  it('uses GET without a payload, POST always for xa', () => {
    assert.equal(dtmCallOf(tx('tcc'), op('01', 'confirm', '')).method, 'GET');
    assert.equal(dtmCallOf(tx('xa'), op('01', 'commit', '')).method, 'POST');
  });

  it('names the msg check-back as DTM does: branch 00, op msg', () => {
    const url = new URL(dtmCallOf(tx('msg'), op(CHECK_BRANCH_ID, 'check', '')).url);
    assert.equal(url.searchParams.get('branch_id'), '00');
    assert.equal(url.searchParams.get('op'), 'msg');
  });

  it('reads replies by status and by dtm_result words in a 200 body', () => {
    const kind = (status: number, body: string | null) => dtmOutcome(status, body).kind;
    assert.equal(kind(200, '{"dtm_result":"SUCCESS"}'), 'success');
    assert.equal(kind(200, null), 'success');
    assert.equal(kind(200, '{"dtm_result":"FAILURE"}'), 'failure');
    assert.equal(kind(200, '{"dtm_result":"ONGOING"}'), 'ongoing');
    assert.equal(kind(409, null), 'failure');
    assert.equal(kind(425, null), 'ongoing');
    assert.equal(kind(204, null), 'error');
    assert.equal(kind(500, 'FAILURE'), 'error');
  });
});
