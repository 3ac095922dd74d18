/**
 * The headers of one branch call, built the same way wherever a call leaves: the
 * coordinator's HTTP and broker deliveries and the SDK's own tcc `try` / xa local-work
 * calls.
 */
import { ACCORD_HEADERS } from '@accord/core';
import { signPayload, type SignedCall } from './signature.js';
import { traceparentFor } from './trace-context.js';

/** Which call this is: the `Accord-Gid`, `Accord-Branch`, `Accord-Op` and `Accord-Mode` headers. */
export type BranchCallIdentity = SignedCall;

/** Options of {@link branchCallHeaders}. */
export interface BranchCallHeadersOptions {
  /** The transaction's own headers (`options.headers`); Accord's headers win over them. */
  readonly extra?: Readonly<Record<string, string>> | undefined;
  /** Signs the call when set (`Accord-Signature`); null or undefined: unsigned. */
  readonly signingSecret?: string | null | undefined;
  /** The signature's time, ms since the epoch (default `Date.now()`). */
  readonly now?: number | undefined;
  /**
   * The call's `traceparent` (a child of the transaction's trace context) and the
   * caller's `tracestate`; absent: a traceparent derived from the gid.
   */
  readonly trace?: { readonly traceparent: string; readonly tracestate?: string | undefined };
}

/**
 * The Accord headers of a call with `body` (the exact bytes sent; `''` for none):
 * identity, trace context (the given one, else derived from the gid), and the signature
 * when a secret is given.
 * The content type is the caller's to set.
 *
 * @example
 * branchCallHeaders({ gid: 'g1', branchId: '01', op: 'try', mode: 'tcc' }, '{"n":1}', { signingSecret });
 * // { 'accord-gid': 'g1', 'accord-branch': '01', 'accord-op': 'try', 'accord-mode': 'tcc', traceparent: '00-…', 'accord-signature': 't=…' }
 */
export function branchCallHeaders(
  call: BranchCallIdentity,
  body: string,
  options: BranchCallHeadersOptions = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    ...options.extra,
    [ACCORD_HEADERS.gid]: call.gid,
    [ACCORD_HEADERS.branch]: call.branchId,
    [ACCORD_HEADERS.op]: call.op,
    [ACCORD_HEADERS.mode]: call.mode,
    [ACCORD_HEADERS.traceparent]: options.trace?.traceparent ?? traceparentFor(call.gid),
  };
  const tracestate = options.trace?.tracestate;
  if (tracestate !== undefined) headers[ACCORD_HEADERS.tracestate] = tracestate;
  const secret = options.signingSecret;
  if (secret !== null && secret !== undefined) {
    headers[ACCORD_HEADERS.signature] = signPayload(secret, call, body, options.now ?? Date.now());
  }
  return headers;
}
