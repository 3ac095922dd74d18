import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TransactionSnapshot } from '@accord/core';
import { createSnapshot } from '@accord/core';
import { loadConfig } from '../config/config.js';
import {
  confirmStatus,
  linkOps,
  linkReports,
  tccRestGid,
  tccRestTransaction,
} from './tcc-rest-request.js';

const T0 = 1_900_000_000_000;
const a = { uri: 'http://air.test/r/a', expires: T0 + 60_000 };
const b = { uri: 'http://sky.test/r/b', expires: T0 + 60_000 };
const ctx = { config: loadConfig({}, { ACCORD_DATA_DIR: '/tmp/unused' }) };

function snapshotOf(
  status: TransactionSnapshot['tx']['status'],
  registered: ReadonlyArray<typeof a>,
  confirm: Array<'pending' | 'succeeded' | 'failed'> = [],
): TransactionSnapshot {
  const snapshot = createSnapshot(tccRestTransaction([a, b], ctx), T0);
  snapshot.tx.status = status;
  snapshot.ops = linkOps(registered).flat();
  snapshot.ops
    .filter((o) => o.op === 'confirm')
    .forEach((o, i) => {
      o.status = confirm[i] ?? 'pending';
      if (o.status === 'failed') o.lastError = { httpStatus: 404, message: 'gone', at: T0 };
    });
  return snapshot;
}

describe('TCC for REST requests', () => {
  it('names a set of links the same whatever their order', () => {
    assert.equal(tccRestGid([a, b]), tccRestGid([b, a]));
    assert.notEqual(tccRestGid([a]), tccRestGid([a, b]));
  });

  it('reads each answer from the stored ops', () => {
    const all = linkReports(snapshotOf('succeeded', [a, b], ['succeeded', 'succeeded']), [a, b]);
    assert.equal(confirmStatus(all), 204);
    const mixed = linkReports(snapshotOf('failed', [a, b], ['succeeded', 'failed']), [a, b]);
    assert.deepEqual(
      mixed.map((r) => r.outcome),
      ['confirmed', 'cancelled'],
    );
    assert.equal(confirmStatus(mixed), 409);
    const pending = linkReports(snapshotOf('submitted', [a, b], ['succeeded']), [a, b]);
    assert.equal(confirmStatus(pending), 409);
  });

  it('answers 404, not 204, for a transaction cancelled before every link was registered', () => {
    const cut = linkReports(snapshotOf('failed', [a]), [a, b]);
    assert.deepEqual(
      cut.map((r) => r.outcome),
      ['cancelled', 'cancelled'],
    );
    assert.equal(confirmStatus(cut), 404);
  });
});
