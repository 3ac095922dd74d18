/**
 * The call the client makes itself once a branch is registered: tcc's `try` and xa's
 * local work. Same headers as a coordinator branch call (`Accord-Op: try`, traceparent,
 * and the signature when the client has the signing secret), same reading of the answer
 * status.
 */
import { AccordError, classifyStatus } from '@accord/core';
import { branchCallHeaders } from '@accord/protocol';
import { BusinessFailure, Ongoing } from '../participant/failures.js';
import { describeNetworkError, parseJson, withCause } from './errors-from-http.js';
import type { HttpTransport } from './http-transport.js';
import { activeTraceHeaders } from '../tracing.js';

/** Everything one try call needs. */
export interface TryCall {
  readonly url: string;
  readonly gid: string;
  readonly branchId: string;
  readonly payload: unknown;
  /** `options.headers` of the transaction, sent as the coordinator would. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs: number;
  /** Sent as `Accord-Mode` (default `tcc`). */
  readonly mode?: 'tcc' | 'xa';
  /** Signs the call (`Accord-Signature`); null or absent: unsigned. */
  readonly signingSecret?: string | null;
}

const EXCERPT = 500;

/** The active span's context, when the application traces; else the gid's trace. */
function activeTrace(): { traceparent: string; tracestate?: string } | undefined {
  const { traceparent, tracestate } = activeTraceHeaders();
  if (traceparent === undefined) return undefined;
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

/** The participant's own error message, if it answered the standard error shape. */
function messageIn(text: string): string | undefined {
  const body = parseJson(text) as { error?: { message?: unknown } } | undefined;
  const message = body?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * POSTs the payload to the try URL. 2xx: resolves to the parsed JSON body (undefined
 * when empty, the text when not JSON). 409: throws {@link BusinessFailure}
 * (`BRANCH_FAILED`); 425: {@link Ongoing} (`BRANCH_ONGOING`); anything else, or no
 * answer: `AccordError('COORDINATOR_ERROR')`.
 *
 * @example
 * const reserved = await callTry<{ holdId: string }>(http, { url, gid, branchId: '01', payload, headers: undefined, timeoutMs: 3000 });
 */
export async function callTry<R>(http: HttpTransport, call: TryCall): Promise<R> {
  const body = call.payload === undefined ? undefined : JSON.stringify(call.payload);
  const headers = branchCallHeaders(
    { gid: call.gid, branchId: call.branchId, op: 'try', mode: call.mode ?? 'tcc' },
    body ?? '',
    { extra: call.headers, signingSecret: call.signingSecret, trace: activeTrace() },
  );
  if (body !== undefined) headers['content-type'] = 'application/json';
  const where = `try of branch ${call.branchId} (${call.url})`;
  let answer;
  try {
    answer = await http.send({
      method: 'POST',
      url: call.url,
      headers,
      body,
      timeoutMs: call.timeoutMs,
    });
  } catch (error) {
    throw withCause(
      new AccordError('COORDINATOR_ERROR', `${where} failed: ${describeNetworkError(error)}`, {
        gid: call.gid,
        branchId: call.branchId,
        httpStatus: null,
      }),
      error,
    );
  }
  const details = {
    gid: call.gid,
    branchId: call.branchId,
    httpStatus: answer.status,
    body: answer.text.slice(0, EXCERPT),
  };
  const said = messageIn(answer.text);
  switch (classifyStatus(answer.status)) {
    case 'success': {
      if (answer.text.length === 0) return undefined as R;
      const json = parseJson(answer.text);
      return (json === undefined ? answer.text : json) as R;
    }
    case 'failure':
      throw new BusinessFailure(said ?? `${where} was refused (409)`, details);
    case 'ongoing':
      throw new Ongoing(said ?? `${where} is still in progress (425)`, details);
    default:
      throw new AccordError(
        'COORDINATOR_ERROR',
        `${where} answered ${answer.status}${said ? `: ${said}` : ''}`,
        details,
      );
  }
}
