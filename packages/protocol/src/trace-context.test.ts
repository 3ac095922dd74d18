import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childTraceparent, incomingTrace, parseTraceparent } from './trace-context.js';

const VALID = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('W3C trace context', () => {
  test('a valid traceparent is read into its parts', () => {
    assert.deepEqual(parseTraceparent(VALID), {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      flags: '01',
    });
  });

  test('invalid headers are ignored, never an error', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      `${VALID}-extra`,
      VALID.toUpperCase(),
    ]) {
      assert.equal(parseTraceparent(bad), null, String(bad));
    }
  });

  test('a later version is read by its version-00 prefix', () => {
    assert.equal(parseTraceparent(`01-${VALID.slice(3)}-more`)?.spanId, 'b7ad6b7169203331');
  });

  test('tracestate goes along with a valid traceparent only, and only when not oversized', () => {
    assert.deepEqual(incomingTrace(VALID, 'vendor=1'), {
      parent: parseTraceparent(VALID),
      tracestate: 'vendor=1',
    });
    assert.equal(incomingTrace(undefined, 'vendor=1'), null);
    assert.equal(incomingTrace(VALID, 'x'.repeat(513))?.tracestate, undefined);
  });

  test('a child keeps the trace and flags with a new span id', () => {
    const parent = parseTraceparent(VALID)!;
    const child = parseTraceparent(childTraceparent(parent))!;
    assert.equal(child.traceId, parent.traceId);
    assert.equal(child.flags, '01');
    assert.notEqual(child.spanId, parent.spanId);
  });
});
