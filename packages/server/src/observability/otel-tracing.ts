/**
 * The OpenTelemetry side of {@link Tracing}, loaded only when tracing is asked for (see
 * tracing.ts). Spans go through `@opentelemetry/api` to a tracer provider of the
 * coordinator's own (not registered globally) with a batch processor and the OTLP/HTTP
 * exporter; protocol, endpoint, headers, sampler and batching follow the standard
 * `OTEL_*` variables.
 *
 * A transaction's span is made when it ends, by whichever instance ends it, with the span
 * id stored at creation (see outbound/call-trace.ts): the branch attempts of every
 * instance that drove it (before and after a restart) hang under that one span.
 */
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  RandomIdGenerator,
} from '@opentelemetry/sdk-trace-base';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { Logger } from 'pino';
import type { Outcome, TransactionRecord } from '@accord/core';
import type { TraceParent } from '@accord/protocol';
import type { BranchCall } from '../engine/branch-call.js';
import type { EngineObserver } from '../engine/observer.js';
import { transactionSpanContext } from '../outbound/call-trace.js';
import type { Tracing } from './tracing-hooks.js';

/**
 * Random ids, except for the next span when ids are pinned: the transaction span is
 * started with the trace and span ids fixed when it was created.
 */
class PinnableIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private pinned: TraceParent | null = null;

  /** Runs `start` (which must start exactly one span, synchronously) with `ids` pinned. */
  withPinned<T>(ids: TraceParent, start: () => T): T {
    this.pinned = ids;
    try {
      return start();
    } finally {
      this.pinned = null;
    }
  }

  generateTraceId(): string {
    return this.pinned?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.pinned?.spanId ?? this.random.generateSpanId();
  }
}

/** The OTLP/HTTP exporter for `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`: protobuf or JSON. */
async function exporterFor(
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<SpanExporter> {
  const protocol = (
    env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ??
    env['OTEL_EXPORTER_OTLP_PROTOCOL'] ??
    'http/protobuf'
  ).trim();
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  if (protocol !== 'http/protobuf') {
    logger.warn(
      { protocol },
      'OTLP protocol not supported by accord (http/protobuf and http/json are); using http/protobuf',
    );
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}

/** The host a target URL names, for span attributes; the scheme for odd ones. */
function targetHost(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.host === '' ? parsed.protocol.replace(/:$/, '') : parsed.host;
  } catch {
    return 'unknown';
  }
}

function remoteParent(parent: TraceParent): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: Number.parseInt(parent.flags, 16) & 1,
    isRemote: true,
  });
}

function traceparentOf(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
}

/** Starts the provider and exporter and returns the span hooks. */
export async function startOtelTracing(
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<Tracing> {
  const ids = new PinnableIds();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'accord' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(await exporterFor(env, logger))],
  });
  const tracer = provider.getTracer('@accord/server');
  logger.info('OpenTelemetry tracing on: spans are exported over OTLP/HTTP');
  return {
    traceCalls: (inner) => tracedCaller(inner, tracer),
    traceEngine: (inner) => tracedObserver(inner, tracer, ids),
    shutdown: () => provider.shutdown(),
  };
}

/** One span per branch attempt, under the transaction's span. */
function tracedCaller(inner: BranchCall, tracer: Tracer): BranchCall {
  return {
    async call(tx, op, signal) {
      const span = tracer.startSpan(
        `accord ${op.op}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'accord.gid': tx.gid,
            'accord.mode': tx.mode,
            'accord.branch_id': op.branchId,
            'accord.op': op.op,
            'accord.attempt': op.attempts,
            'server.address': targetHost(op.url),
          },
        },
        remoteParent(transactionSpanContext(tx)),
      );
      let outcome: Outcome | undefined;
      try {
        outcome = await inner.call(tx, op, signal, traceparentOf(span));
        return outcome;
      } finally {
        endAttempt(span, outcome);
      }
    },
    close: () => inner.close(),
  };
}

function endAttempt(span: Span, outcome: Outcome | undefined): void {
  if (outcome === undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the call threw' });
  } else {
    span.setAttribute('accord.outcome', outcome.kind);
    if (outcome.httpStatus !== null)
      span.setAttribute('http.response.status_code', outcome.httpStatus);
    if (outcome.kind !== 'success') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message ?? outcome.kind });
    }
  }
  span.end();
}

/** The transaction span (at its end) and store commit spans. */
function tracedObserver(inner: EngineObserver, tracer: Tracer, ids: PinnableIds): EngineObserver {
  return {
    ...inner,
    terminal(tx) {
      inner.terminal(tx);
      transactionSpan(tx, tracer, ids);
    },
    storeWrite(batchSize, seconds) {
      inner.storeWrite(batchSize, seconds);
      const end = Date.now();
      tracer
        .startSpan('accord store commit', {
          kind: SpanKind.INTERNAL,
          startTime: end - seconds * 1000,
          attributes: { 'accord.batch_size': batchSize },
        })
        .end(end);
    },
  };
}

/**
 * The span of a whole transaction, from its creation to its end, under the span of the
 * request that created it (or at the root of its trace), with its stored ids.
 */
function transactionSpan(tx: TransactionRecord, tracer: Tracer, ids: PinnableIds): void {
  const own = transactionSpanContext(tx);
  const callerSpan = tx.options.trace?.parentSpanId;
  const parent =
    callerSpan === undefined ? ROOT_CONTEXT : remoteParent({ ...own, spanId: callerSpan });
  const span = ids.withPinned(own, () =>
    tracer.startSpan(
      `accord ${tx.mode}`,
      {
        kind: SpanKind.SERVER,
        startTime: tx.createdAt,
        attributes: {
          'accord.gid': tx.gid,
          'accord.mode': tx.mode,
          'accord.status': tx.status,
          ...(tx.reason === null ? {} : { 'accord.reason': tx.reason }),
        },
      },
      parent,
    ),
  );
  if (tx.status !== 'succeeded') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: tx.reason ?? tx.status });
  }
  span.end(tx.finishedAt ?? Date.now());
}
