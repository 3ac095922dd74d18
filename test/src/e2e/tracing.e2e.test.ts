/**
 * One trace from the calling service through the coordinator into the participants: the
 * client's span → the transaction's span → each branch attempt → the participant's
 * handler, with one trace id, across a retry and across a coordinator killed and
 * restarted mid-transaction. Spans of both processes go to a real OTLP/HTTP receiver.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AccordClient } from '@accord/client';
import { accordHandler } from '@accord/client/participant';
import { tempDir, waitFor } from '@accord/testkit';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlp-receiver.js';
import { teardown } from '../support/teardown.js';

const WAIT = { timeoutMs: 60_000 };

/** The spans of one trace as an indented tree, children under their parent. */
function spanTree(spans: readonly ReceivedSpan[]): string {
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const span of spans.filter((s) => s.parentSpanId === parent)) {
      const attempt = span.attributes['accord.attempt'];
      const detail = [
        span.attributes['accord.branch_id'],
        attempt === undefined ? undefined : `attempt ${String(attempt)}`,
        span.attributes['accord.outcome'],
        span.statusCode === 2 ? 'error status' : undefined,
      ].filter((part) => part !== undefined);
      const suffix = detail.length > 0 ? ` (${detail.join(', ')})` : '';
      lines.push(`${'  '.repeat(depth)}${span.service}: ${span.name}${suffix}`);
      walk(span.spanId, depth + 1);
    }
  };
  walk('', 0);
  const ids = new Set(spans.map((s) => s.spanId));
  for (const orphan of spans.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId))) {
    lines.push(`(parent not exported) ${orphan.service}: ${orphan.name}`);
    walk(orphan.spanId, 1);
  }
  return lines.join('\n');
}

/** Participants: the first step fails once, the second hangs on its first call. */
class Participants {
  firstCalls = 0;
  secondCalls = 0;
  private releaseHang: () => void = () => undefined;
  private readonly hang = new Promise<void>((resolve) => (this.releaseHang = resolve));
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    const first = accordHandler(async () => {
      this.firstCalls += 1;
      if (this.firstCalls === 1) throw new Error('temporarily unavailable');
      return { ok: true };
    });
    const second = accordHandler(async () => {
      this.secondCalls += 1;
      if (this.secondCalls === 1) await this.hang;
      return { ok: true };
    });
    this.server = createServer((req, res) => (req.url === '/first' ? first : second)(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.releaseHang();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  release(): void {
    this.releaseHang();
  }
}

function one(spans: readonly ReceivedSpan[], what: string, test: (s: ReceivedSpan) => boolean) {
  const found = spans.filter(test);
  assert.equal(found.length, 1, `exactly one ${what}, got ${found.length}`);
  return found[0]!;
}

describe('trace context and spans, end to end', () => {
  let receiver: OtlpReceiver;
  let provider: BasicTracerProvider;

  before(async () => {
    receiver = await startOtlpReceiver();
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop' }),
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` })),
      ],
    });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  after(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
    await receiver.close();
  });

  it('joins the caller trace through a retry and a coordinator restart', async (t) => {
    const dir = tempDir('accord-tracing-');
    const participants = new Participants();
    const coordinator = new CoordinatorProcess({
      dataDir: dir.path,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'accord',
      },
    });
    const gid = `traced-${Date.now()}`;
    try {
      await participants.start();
      await coordinator.start();
      const accord = new AccordClient({ url: coordinator.url });
      const tracer = trace.getTracer('shop');
      const clientSpan = await tracer.startActiveSpan('checkout', async (span) => {
        try {
          await accord
            // A call outlives the kill: no timeout may retry it before.
            .saga({ gid, options: { requestTimeoutMs: 120_000 } })
            .step({ action: `${participants.url}/first`, payload: { n: 1 } })
            .step({ action: `${participants.url}/second`, payload: { n: 2 } })
            .submit();
          return span.spanContext();
        } finally {
          span.end();
        }
      });

      // The first step's failed attempt and its retry are exported before the kill; the
      // second step's first call hangs while the coordinator is killed.
      const attemptsOf = (branchId: string) =>
        receiver.spans.filter(
          (s) => s.name === 'accord action' && s.attributes['accord.branch_id'] === branchId,
        );
      await waitFor(() => attemptsOf('01').length === 2 && participants.secondCalls > 0, {
        ...WAIT,
        what: 'both attempts of the first step exported and the second step called',
      });
      await coordinator.kill9();
      participants.release();
      await coordinator.start();
      await waitFor(
        async () => {
          const res = await fetch(`${coordinator.url}/v1/transactions/${gid}`);
          const body = (await res.json()) as { transaction: { status: string } };
          return body.transaction.status === 'succeeded';
        },
        { ...WAIT, what: 'the transaction to succeed after the restart' },
      );
      await waitFor(() => receiver.spans.some((s) => s.name === 'accord saga'), {
        ...WAIT,
        what: 'the transaction span',
      });

      const spans = receiver.spans.filter((s) => s.traceId === clientSpan.traceId);
      const client = one(spans, 'client span', (s) => s.name === 'checkout');
      assert.equal(client.service, 'shop');
      const transaction = one(spans, 'transaction span', (s) => s.name === 'accord saga');
      assert.equal(transaction.service, 'accord');
      assert.equal(transaction.parentSpanId, client.spanId, 'transaction under the client span');
      assert.equal(transaction.attributes['accord.gid'], gid);
      assert.equal(transaction.attributes['accord.status'], 'succeeded');

      const first = attemptsOf('01');
      assert.deepEqual(
        first.map((s) => [s.attributes['accord.attempt'], s.attributes['accord.outcome']]).sort(),
        [
          [1, 'error'],
          [2, 'success'],
        ],
      );
      assert.equal(first.find((s) => s.attributes['accord.outcome'] === 'error')?.statusCode, 2);
      assert.equal(first[0]!.attributes['http.response.status_code'] !== undefined, true);
      // The attempt in flight at the kill ended with its process; the one after the
      // restart is exported, under the same transaction span.
      const second = attemptsOf('02');
      assert.ok(second.some((s) => s.attributes['accord.outcome'] === 'success'));
      const attempts = [...first, ...second];
      for (const attempt of attempts) {
        assert.equal(attempt.traceId, clientSpan.traceId, 'attempt in the client trace');
        assert.equal(attempt.parentSpanId, transaction.spanId, 'attempt under the transaction');
        assert.equal(attempt.attributes['server.address'], new URL(participants.url).host);
        one(
          spans,
          `participant span under attempt ${attempt.spanId}`,
          (s) => s.name === 'accord participant action' && s.parentSpanId === attempt.spanId,
        );
      }
      // Every handler call is in the trace: three calls for exported attempts, one for the
      // call abandoned by the kill (its attempt span never left the killed process).
      const handlers = spans.filter((s) => s.name === 'accord participant action');
      assert.equal(handlers.length, participants.firstCalls + participants.secondCalls);
      assert.equal(handlers.length, attempts.length + 1);
      const failedHandler = handlers.filter((s) => s.statusCode === 2);
      assert.equal(failedHandler.length, 1, 'the 500 answer marks the handler span');
      t.diagnostic(`span tree of trace ${clientSpan.traceId}:\n${spanTree(spans)}`);
    } finally {
      await teardown([() => coordinator.kill9(), () => participants.close(), () => dir.remove()]);
    }
  });
});
