import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newOp } from '@accord/core';
import { RoundTrips } from './round-trips.js';
import { classifyTccRest, linkExpiry, linkPayload, tccRestRequest } from './tcc-rest-calls.js';

const EXPIRES = Date.parse('2030-01-01T00:00:00Z');
const link = { uri: 'http://air.test/r/1', expires: EXPIRES };
const op = (name: 'confirm' | 'cancel') =>
  newOp('p01', name, { url: link.uri, payload: linkPayload(link) }, 0, 0);

describe('TCC for REST calling convention', () => {
  it('confirms with PUT and cancels with DELETE, both application/tcc', () => {
    assert.equal(tccRestRequest(op('confirm')).method, 'PUT');
    assert.equal(tccRestRequest(op('cancel')).method, 'DELETE');
    assert.deepEqual(tccRestRequest(op('cancel')).headers, {
      accept: 'application/tcc',
      'content-type': 'application/tcc',
    });
    assert.equal(linkExpiry(op('confirm')), EXPIRES);
  });

  it('reads 2xx as done and 404 as gone (confirm) or done (cancel)', () => {
    const before = EXPIRES - 1;
    assert.equal(classifyTccRest(op('confirm'), 204, null, before).kind, 'success');
    assert.equal(classifyTccRest(op('confirm'), 404, null, before).kind, 'failure');
    assert.equal(classifyTccRest(op('cancel'), 404, null, before).kind, 'success');
    assert.equal(classifyTccRest(op('confirm'), 409, null, before).kind, 'error');
  });

  it('retries anything else until the expiry, then ends it', () => {
    const before = EXPIRES - 1;
    const after = EXPIRES + 1;
    assert.equal(classifyTccRest(op('confirm'), 503, 'down', before).kind, 'error');
    assert.equal(classifyTccRest(op('confirm'), null, 'refused', before).kind, 'error');
    const late = classifyTccRest(op('confirm'), null, 'refused', after);
    assert.equal(late.kind, 'failure');
    assert.match(late.message ?? '', /^timed out/);
    assert.equal(classifyTccRest(op('cancel'), 503, null, after).kind, 'success');
  });

  it('measures the round trip: up at once, down slowly', () => {
    const trips = new RoundTrips();
    assert.equal(trips.ms, 0);
    trips.record(100);
    assert.equal(trips.ms, 100);
    trips.record(10);
    assert.ok(trips.ms < 100 && trips.ms > 10, String(trips.ms));
  });
});
