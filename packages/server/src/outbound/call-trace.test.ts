import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TransactionRecord } from '@accord/core';
import { gidTraceParent, parseTraceparent } from '@accord/protocol';
import { callTrace, transactionSpanContext, transactionTraceOf } from './call-trace.js';

const CALLER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function txWith(trace: TransactionRecord['options']['trace'], gid = 'g1'): TransactionRecord {
  return { gid, options: trace === undefined ? {} : { trace } } as unknown as TransactionRecord;
}

describe('trace context of a transaction and its calls', () => {
  test("a transaction joins its caller's trace with a span of its own", () => {
    const trace = transactionTraceOf({ traceparent: CALLER, tracestate: 'v=1' }, 'g1');
    const own = parseTraceparent(trace.traceparent)!;
    assert.equal(own.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.notEqual(own.spanId, 'b7ad6b7169203331');
    assert.equal(trace.parentSpanId, 'b7ad6b7169203331');
    assert.equal(trace.tracestate, 'v=1');
  });

  test("without a caller's trace, the trace id is the gid's", () => {
    const trace = transactionTraceOf({ traceparent: 'junk' }, 'g1');
    assert.equal(parseTraceparent(trace.traceparent)!.traceId, gidTraceParent('g1').traceId);
    assert.equal(trace.parentSpanId, undefined);
  });

  test('each call is a child of the stored transaction span and carries tracestate', () => {
    const trace = transactionTraceOf({ traceparent: CALLER, tracestate: 'v=1' }, 'g1');
    const tx = txWith(trace);
    const call = callTrace(tx, undefined);
    assert.equal(parseTraceparent(call.traceparent)!.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.notEqual(call.traceparent, trace.traceparent);
    assert.equal(call.tracestate, 'v=1');
    assert.equal(callTrace(tx, 'given').traceparent, 'given');
  });

  test('transactions stored without a trace keep a stable one derived from the gid', () => {
    assert.deepEqual(transactionSpanContext(txWith(undefined, 'old')), gidTraceParent('old'));
  });
});
