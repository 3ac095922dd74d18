/**
 * Calls branch targets over HTTP with keep-alive pools, per-call timeouts, signatures
 * and trace context, and classifies each reply by the native protocol.
 */
import type { Agent, request } from 'undici';
import type { BranchOp, Clock, Outcome, TransactionRecord } from '@accord/core';
import { classifyStatus } from '@accord/core';
import { branchCallHeaders } from '@accord/protocol';
import type { BranchCall } from '../engine/branch-call.js';
import { dtmCallOf, dtmOutcome } from './dtm-convention.js';
import type { TargetPolicy } from './target-policy.js';

/** Settings of the outbound HTTP client. */
export interface BranchCallerOptions {
  readonly policy: TargetPolicy;
  readonly clock: Clock;
  readonly signingSecret: string | null;
  /** Connections kept per origin. */
  readonly connectionsPerOrigin?: number;
}

const MESSAGE_LIMIT = 300;

/** The HTTP client of a caller: undici and its connection pool. */
interface Http {
  readonly agent: Agent;
  readonly request: typeof request;
}

/**
 * The HTTP implementation of {@link BranchCall}. undici is loaded and the pool created
 * with the first call, so a coordinator that starts up does not pay for them.
 */
export class HttpBranchCaller implements BranchCall {
  private http: Promise<Http> | undefined;

  constructor(private readonly options: BranchCallerOptions) {}

  private client(): Promise<Http> {
    this.http ??= import('undici').then(({ Agent, request }) => ({
      request,
      agent: new Agent({
        connections: this.options.connectionsPerOrigin ?? 256,
        keepAliveTimeout: 30_000,
        connect: { lookup: this.options.policy.lookup },
      }),
    }));
    return this.http;
  }

  async call(tx: TransactionRecord, op: BranchOp, signal?: AbortSignal): Promise<Outcome> {
    const headers = branchCallHeaders(
      { gid: tx.gid, branchId: op.branchId, op: op.op, mode: tx.mode },
      op.payload,
      {
        extra: tx.options.headers,
        signingSecret: this.options.signingSecret,
        now: this.options.clock.now(),
      },
    );
    if (op.payload !== '') headers['content-type'] = 'application/json';
    const timeout = tx.options.requestTimeoutMs;
    // Transactions created through the DTM-compatible API keep DTM's convention.
    const dtm = tx.options.dialect === 'dtm' ? dtmCallOf(tx, op) : null;
    try {
      const { agent, request } = await this.client();
      const response = await request(dtm?.url ?? op.url, {
        dispatcher: agent,
        method: dtm?.method ?? 'POST',
        headers,
        body: op.payload === '' ? undefined : op.payload,
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(timeout)])
          : AbortSignal.timeout(timeout),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      if (dtm) return dtmOutcome(response.statusCode, await excerpt(response.body));
      const kind = classifyStatus(response.statusCode);
      const ackBody = tx.options.ackBody;
      if (kind === 'success' && ackBody !== undefined) {
        return acknowledged(response.statusCode, await excerpt(response.body), ackBody);
      }
      const message = kind === 'success' ? null : await excerpt(response.body);
      if (kind === 'success') await response.body.dump();
      return { kind, httpStatus: response.statusCode, message };
    } catch (error) {
      const message = signal?.aborted
        ? 'abandoned: the lease was lost or about to run out'
        : describeError(error, timeout);
      return { kind: 'error', httpStatus: null, message };
    }
  }

  async close(): Promise<void> {
    if (this.http) await (await this.http).agent.close();
  }
}

/**
 * A notification whose receiver must answer an exact body: a 2xx with anything else
 * is not an acknowledgement, so the delivery is retried.
 */
function acknowledged(status: number, body: string | null, expected: string): Outcome {
  if ((body ?? '') === expected.trim())
    return { kind: 'success', httpStatus: status, message: null };
  const got = body === null ? 'an empty body' : `"${body.slice(0, 100)}"`;
  return {
    kind: 'error',
    httpStatus: status,
    message: `not acknowledged: expected the body "${expected}", got ${got}`,
  };
}

async function excerpt(
  body: AsyncIterable<Buffer> & { dump(): Promise<void> },
): Promise<string | null> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    if (text.length >= MESSAGE_LIMIT) break;
  }
  await body.dump().catch(() => undefined);
  const trimmed = text.trim().slice(0, MESSAGE_LIMIT);
  return trimmed === '' ? null : trimmed;
}

function describeError(error: unknown, timeout: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError')
      return `timed out after ${timeout} ms`;
    const code = (error as NodeJS.ErrnoException).code;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause !== error) return describeError(cause, timeout);
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
