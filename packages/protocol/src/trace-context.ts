/**
 * W3C trace context (`traceparent`, `tracestate`) as Accord carries it: read from a
 * caller, stored with the transaction, and sent as a child context with every call the
 * transaction makes, so a trace started in the calling service continues through the
 * coordinator into every participant.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The parts of a `traceparent` header. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: the span the receiver's spans hang under. */
  readonly spanId: string;
  /** Two hex digits; `01` means sampled. */
  readonly flags: string;
}

/** What a caller sent: its `traceparent` and, when present, its `tracestate`. */
export interface IncomingTrace {
  readonly parent: TraceParent;
  readonly tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** W3C: at most 32 list members; 512 characters is what implementations must keep. */
const TRACESTATE_LIMIT = 512;

/**
 * Parses a `traceparent` header; null when it is absent or invalid (W3C: an invalid
 * header is ignored, never an error). Future versions are read by their version-00 prefix.
 *
 * @example
 * parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
 * // { traceId: '0af7…319c', spanId: 'b7ad6b7169203331', flags: '01' }
 */
export function parseTraceparent(value: string | undefined | null): TraceParent | null {
  if (typeof value !== 'string' || value.length > 256) return null;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return null;
  const [, version, traceId, spanId, flags, rest] = match as unknown as string[];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  return { traceId: traceId!, spanId: spanId!, flags: flags! };
}

/**
 * The trace context of a request's headers: null without a valid `traceparent`. A
 * `tracestate` longer than W3C asks implementations to keep is dropped.
 */
export function incomingTrace(
  traceparent: string | string[] | undefined,
  tracestate: string | string[] | undefined,
): IncomingTrace | null {
  const parent = parseTraceparent(Array.isArray(traceparent) ? traceparent[0] : traceparent);
  if (parent === null) return null;
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  if (state === undefined || state === '' || state.length > TRACESTATE_LIMIT) return { parent };
  return { parent, tracestate: state };
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${parent.flags}`;
}

/** A fresh random span id (16 hex digits). */
export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/**
 * The trace context a transaction gets when its caller sent none: trace id and span id
 * derived from the gid, so the client's own calls (tcc `try`) and every coordinator call
 * of one transaction share a trace even without a tracer anywhere.
 */
export function gidTraceParent(gid: string): TraceParent {
  const digest = createHash('sha256').update(gid).digest('hex');
  return { traceId: digest.slice(0, 32), spanId: digest.slice(32, 48), flags: '01' };
}

/**
 * A child of `parent`: same trace and flags, a new span id. This is what one outgoing
 * call carries when no tracer made a span for it.
 *
 * @example
 * childTraceparent({ traceId: '0af7…319c', spanId: 'b7ad…3331', flags: '01' }); // '00-0af7…319c-<new>-01'
 */
export function childTraceparent(parent: TraceParent): string {
  return formatTraceparent({ ...parent, spanId: newSpanId() });
}

/**
 * `00-<first 32 hex of sha256(gid)>-<random span id>-01`: a call of a transaction whose
 * trace context is not known to the caller.
 *
 * @example
 * traceparentFor('order-42'); // '00-5f1c…(32 hex)-9a0b…(16 hex)-01'
 */
export function traceparentFor(gid: string): string {
  return childTraceparent(gidTraceParent(gid));
}
