/**
 * OpenTelemetry for the SDK, through `@opentelemetry/api` only: the application's own
 * tracer provider and propagator (if it registered any) do the work. Without one, every
 * call here is a no-op and costs next to nothing.
 */
import type { Span } from '@opentelemetry/api';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { AccordContext, HeadersLike } from './participant/context.js';
import { headerValue } from './participant/context.js';
import type { Reply } from './participant/reply.js';

const tracer = () => trace.getTracer('@accord/client');

/**
 * The active trace context as headers (`traceparent`, `tracestate`), by the registered
 * propagator; empty when there is none or no span is active.
 *
 * @example
 * const headers = { ...activeTraceHeaders(), accept: 'application/json' };
 */
export function activeTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs a participant's handling of one call in a span (`accord participant <op>`) that
 * continues the trace the call carries; a 5xx answer marks the span as an error.
 */
export async function inParticipantSpan(
  ctx: AccordContext,
  headers: HeadersLike,
  handle: () => Promise<Reply>,
): Promise<Reply> {
  const carrier: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = headerValue(headers, name);
    if (value !== undefined) carrier[name] = value;
  }
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  const span: Span = tracer().startSpan(
    `accord participant ${ctx.op}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'accord.gid': ctx.gid,
        'accord.branch_id': ctx.branchId,
        'accord.op': ctx.op,
        'accord.mode': ctx.mode,
      },
    },
    parent,
  );
  try {
    const reply = await context.with(trace.setSpan(parent, span), handle);
    span.setAttribute('http.response.status_code', reply.status);
    if (reply.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    return reply;
  } finally {
    span.end();
  }
}
