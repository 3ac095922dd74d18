/**
 * The framework-neutral part of a participant handler: headers → context, signature
 * check, body parse, business call, answer. Adapters only gather the request and send the
 * {@link Reply}.
 */
import { AccordError } from '@accord/core';
import { readAccordContext, headerValue, type AccordContext, type HeadersLike } from './context.js';
import { errorReply, rejectionReply, successReply, type Reply } from './reply.js';
import { ReplayGuard, verifySignature } from '@accord/protocol';
import { inParticipantSpan } from '../tracing.js';

/**
 * The business function of a participant route: gets the context and the parsed JSON body
 * (undefined when there is none), returns the JSON result (2xx) or throws
 * `BusinessFailure` (409), `Ongoing` (425) or anything else (500).
 */
export type AccordHandlerFn<B = unknown, R = unknown> = (
  ctx: AccordContext,
  body: B,
) => R | Promise<R>;

/** Options shared by the participant handlers. */
export interface AccordHandlerOptions {
  /**
   * Verify `Accord-Signature` on every call, `try` included (the SDK client signs its tries
   * when given the same secret as `signingSecret`): a call without a valid signature, or
   * one already accepted, is answered 401 `SIGNATURE_INVALID`. Several secrets may be
   * given during a rotation.
   */
  secret?: string | readonly string[];
  /** Largest accepted clock distance of a signature, ms (default 300000). */
  toleranceMs?: number;
  /**
   * Where accepted signatures are remembered so that a replay is refused (default: a
   * `ReplayGuard` of this helper's own). Share one among a service's routes to also refuse
   * a call replayed to another route.
   */
  replayGuard?: ReplayGuard;
  /** Largest body read, bytes (default 1 MiB); more is answered 413. */
  maxBodyBytes?: number;
  /** The clock for signature checks (default `Date.now`). */
  now?: () => number;
}

/** Default of {@link AccordHandlerOptions.maxBodyBytes}. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** One incoming call, as an adapter gathered it. */
export interface IncomingCall {
  readonly headers: HeadersLike;
  /** The exact body bytes; undefined when a framework already consumed them. */
  readonly raw: Uint8Array | undefined;
  /** The body a framework already parsed (used when `raw` is undefined). */
  readonly parsed?: unknown;
  /** What to tell the user when a signature must be checked and `raw` is gone. */
  readonly rawMissingHint: string;
}

/** True when the request says it carries a body. */
export function declaresBody(headers: HeadersLike): boolean {
  if (headerValue(headers, 'transfer-encoding') !== undefined) return true;
  const length = headerValue(headers, 'content-length');
  return length !== undefined && length.trim() !== '0';
}

/**
 * Parses a JSON body; empty is undefined. Throws `AccordError('INVALID_REQUEST')`.
 *
 * @example
 * parseJsonBody(Buffer.from('{"a":1}')); // { a: 1 }
 */
export function parseJsonBody(raw: Uint8Array): unknown {
  if (raw.byteLength === 0) return undefined;
  try {
    return JSON.parse(
      Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'),
    ) as unknown;
  } catch {
    throw new AccordError('INVALID_REQUEST', 'body is not valid JSON');
  }
}

/** Runs one participant call end to end and returns the answer to send; never throws. */
export type CallProcessor = (call: IncomingCall) => Promise<Reply>;

/**
 * The processor of one participant helper: headers → context, signature check (every op,
 * and each signature at most once), body parse, business call, answer.
 *
 * @example
 * const process = participantCall(fn, { secret });
 * const reply = await process({ headers, raw, rawMissingHint: '' });
 */
export function participantCall<B, R>(
  fn: AccordHandlerFn<B, R>,
  options: AccordHandlerOptions,
): CallProcessor {
  const replay =
    options.secret === undefined
      ? undefined
      : (options.replayGuard ??
        new ReplayGuard(
          options.toleranceMs !== undefined ? { windowMs: options.toleranceMs } : {},
        ));
  return async (call) => {
    let ctx: AccordContext;
    let body: unknown;
    try {
      ctx = readAccordContext(call.headers);
      if (options.secret !== undefined) {
        if (call.raw === undefined) throw new Error(call.rawMissingHint);
        const header = headerValue(call.headers, 'accord-signature');
        verifySignature(options.secret, header, ctx, call.raw, {
          ...(options.toleranceMs !== undefined && { toleranceMs: options.toleranceMs }),
          now: (options.now ?? Date.now)(),
          ...(replay !== undefined && { replay }),
        });
      }
      body = call.raw !== undefined ? parseJsonBody(call.raw) : call.parsed;
    } catch (error) {
      return rejectionReply(error);
    }
    return inParticipantSpan(ctx, call.headers, async () => {
      try {
        return successReply(await fn(ctx, body as B));
      } catch (error) {
        return errorReply(error);
      }
    });
  };
}
