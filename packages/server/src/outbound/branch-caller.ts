/**
 * Calls branch targets over HTTP with keep-alive pools, per-call timeouts, signatures
 * and trace context, and classifies each reply by the calling convention of the mode's
 * rules: the native protocol, or TCC for REST (see tcc-rest-calls.ts).
 */
import type { Agent, request } from 'undici';
import type { BranchOp, Clock, Outcome, TransactionRecord } from '@accord/core';
import { classifyStatus, rulesOf } from '@accord/core';
import { branchCallHeaders } from '@accord/protocol';
import type { BranchCall } from '../engine/branch-call.js';
import { dtmCallOf, dtmOutcome } from './dtm-convention.js';
import type { RoundTrips } from './round-trips.js';
import type { TargetPolicy } from './target-policy.js';
import { classifyTccRest, tccRestRequest } from './tcc-rest-calls.js';
import { callTrace } from './call-trace.js';

/** Settings of the outbound HTTP client. */
export interface BranchCallerOptions {
  readonly policy: TargetPolicy;
  readonly clock: Clock;
  readonly signingSecret: string | null;
  /** Connections kept per origin. */
  readonly connectionsPerOrigin?: number;
  /** Where the durations of TCC-for-REST calls are recorded. */
  readonly roundTrips?: RoundTrips;
}

const MESSAGE_LIMIT = 300;

/** One outgoing request of a branch call. */
interface OutgoingCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly timeout: number;
  readonly signal?: AbortSignal;
}

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

  async call(
    tx: TransactionRecord,
    op: BranchOp,
    signal?: AbortSignal,
    traceparent?: string,
  ): Promise<Outcome> {
    if (rulesOf(tx.mode).calling === 'tcc-rest')
      return this.callTccRest(tx, op, signal, traceparent);
    const headers = this.accordHeaders(tx, op, op.payload, traceparent);
    if (op.payload !== '') headers['content-type'] = 'application/json';
    const timeout = tx.options.requestTimeoutMs;
    // Transactions created through the DTM-compatible API keep DTM's convention.
    const dtm = tx.options.dialect === 'dtm' ? dtmCallOf(tx, op) : null;
    try {
      const response = await this.send(dtm?.url ?? op.url, {
        method: dtm?.method ?? 'POST',
        headers,
        body: op.payload === '' ? undefined : op.payload,
        timeout,
        signal,
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
      return { kind: 'error', httpStatus: null, message: failureText(error, timeout, signal) };
    }
  }

  /**
   * A TCC-for-REST call: `PUT` or `DELETE` on the participant link, no body (the op's
   * payload is the link itself); the Accord headers go along, harmless to a participant
   * that does not know them.
   */
  private async callTccRest(
    tx: TransactionRecord,
    op: BranchOp,
    signal?: AbortSignal,
    traceparent?: string,
  ): Promise<Outcome> {
    const { method, headers: tcc } = tccRestRequest(op);
    const headers = { ...this.accordHeaders(tx, op, '', traceparent), ...tcc };
    const timeout = tx.options.requestTimeoutMs;
    const started = performance.now();
    let status: number | null = null;
    let message: string | null;
    try {
      const response = await this.send(op.url, { method, headers, timeout, signal });
      status = response.statusCode;
      message = await excerpt(response.body);
      this.options.roundTrips?.record(performance.now() - started);
    } catch (error) {
      message = failureText(error, timeout, signal);
    }
    return classifyTccRest(op, status, message, this.options.clock.now());
  }

  /** The Accord headers of a call: ids, mode, trace context, signature, extra headers. */
  private accordHeaders(
    tx: TransactionRecord,
    op: BranchOp,
    body: string,
    traceparent: string | undefined,
  ): Record<string, string> {
    return branchCallHeaders(
      { gid: tx.gid, branchId: op.branchId, op: op.op, mode: tx.mode },
      body,
      {
        extra: tx.options.headers,
        signingSecret: this.options.signingSecret,
        now: this.options.clock.now(),
        trace: callTrace(tx, traceparent),
      },
    );
  }

  /** One request through the pool, bounded by the call's timeout and the caller's signal. */
  private async send(url: string, call: OutgoingCall) {
    const { agent, request } = await this.client();
    const { timeout, signal } = call;
    return request(url, {
      dispatcher: agent,
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(timeout)])
        : AbortSignal.timeout(timeout),
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
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

/** Why a request got no reply: abandoned by the caller, timed out, or a network error. */
function failureText(error: unknown, timeout: number, signal?: AbortSignal): string {
  return signal?.aborted
    ? 'abandoned: the lease was lost or about to run out'
    : describeError(error, timeout);
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
