/**
 * The trace context of a transaction and of the calls it makes: fixed from the creating
 * request's `traceparent` / `tracestate` (or from the gid when it sent none), stored in
 * the transaction's options, and handed to every branch call, broker message and
 * notification as a child context.
 */
import type { NewTransaction, TransactionRecord, TransactionTrace } from '@accord/core';
import type { TraceParent } from '@accord/protocol';
import {
  childTraceparent,
  formatTraceparent,
  gidTraceParent,
  incomingTrace,
  newSpanId,
  parseTraceparent,
} from '@accord/protocol';

/** Request headers as Fastify and Node give them. */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The trace of a transaction created by a request with `headers`: a new span (the
 * transaction's own) under the caller's span, or at the root of the gid's trace.
 */
export function transactionTraceOf(headers: Headers, gid: string): TransactionTrace {
  const incoming = incomingTrace(headers['traceparent'], headers['tracestate']);
  if (incoming === null) {
    return { traceparent: formatTraceparent({ ...gidTraceParent(gid), spanId: newSpanId() }) };
  }
  const traceparent = formatTraceparent({ ...incoming.parent, spanId: newSpanId() });
  return {
    traceparent,
    parentSpanId: incoming.parent.spanId,
    ...(incoming.tracestate === undefined ? {} : { tracestate: incoming.tracestate }),
  };
}

/** `spec` with the trace of the request that creates it (see {@link transactionTraceOf}). */
export function withRequestTrace<T extends NewTransaction>(spec: T, headers: Headers): T {
  return { ...spec, options: { ...spec.options, trace: transactionTraceOf(headers, spec.gid) } };
}

/** The transaction's own span context: stored, or derived from the gid for older records. */
export function transactionSpanContext(tx: TransactionRecord): TraceParent {
  return parseTraceparent(tx.options.trace?.traceparent) ?? gidTraceParent(tx.gid);
}

/**
 * What one outgoing call of `tx` carries: `traceparent` (the attempt's span when a tracer
 * made one, else a fresh child of the transaction's span) and the caller's `tracestate`.
 */
export function callTrace(
  tx: TransactionRecord,
  traceparent: string | undefined,
): { traceparent: string; tracestate?: string } {
  const tracestate = tx.options.trace?.tracestate;
  const parent = traceparent ?? childTraceparent(transactionSpanContext(tx));
  return tracestate === undefined ? { traceparent: parent } : { traceparent: parent, tracestate };
}
