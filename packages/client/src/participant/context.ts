/**
 * Reading the Accord headers of a branch call into a typed context.
 */
import { ACCORD_HEADERS, AccordError, MODES, type Mode, type ParticipantOp } from '@accord/core';

/** Every op a participant may be called with (`try` comes from the client). */
export const PARTICIPANT_OPS: readonly ParticipantOp[] = [
  'try',
  'action',
  'compensate',
  'confirm',
  'cancel',
  'commit',
  'rollback',
  'check',
];

/**
 * Request headers: node's `IncomingHttpHeaders` (any letter case) or a fetch `Headers`.
 */
export type HeadersLike =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { get(name: string): string | null };

/** Who is calling and why: the Accord headers of one branch call. */
export interface AccordContext {
  readonly gid: string;
  /** The branch (step) id; `_check` for a msg check-back. */
  readonly branchId: string;
  readonly op: ParticipantOp;
  readonly mode: Mode;
  /** W3C trace context, if sent. */
  readonly traceparent: string | null;
}

/**
 * One header's value (the first, if repeated), looked up case-insensitively.
 *
 * @example
 * headerValue(req.headers, 'Accord-Gid'); // 'order-42'
 */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const lower = name.toLowerCase();
  let value = record[lower];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : record[key];
  }
  return typeof value === 'string' ? value : value?.[0];
}

function required(headers: HeadersLike, name: string, display: string): string {
  const value = headerValue(headers, name)?.trim();
  if (!value) {
    throw new AccordError(
      'INVALID_REQUEST',
      `missing header ${display}: not a call from an Accord coordinator or client`,
      { header: display },
    );
  }
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], display: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new AccordError(
      'INVALID_REQUEST',
      `header ${display} is "${value}"; expected one of ${allowed.join(', ')}`,
      { header: display, value },
    );
  }
  return value as T;
}

/**
 * Parses the Accord headers of a branch call. Throws `AccordError('INVALID_REQUEST')`
 * naming the header when one is missing or has an unknown value.
 *
 * @example
 * const ctx = readAccordContext(req.headers);
 * // { gid: 'order-42', branchId: '01', op: 'cancel', mode: 'tcc', traceparent: '00-…' }
 */
export function readAccordContext(headers: HeadersLike): AccordContext {
  const gid = required(headers, ACCORD_HEADERS.gid, 'Accord-Gid');
  const branchId = required(headers, ACCORD_HEADERS.branch, 'Accord-Branch');
  const op = oneOf(required(headers, ACCORD_HEADERS.op, 'Accord-Op'), PARTICIPANT_OPS, 'Accord-Op');
  const mode = oneOf(required(headers, ACCORD_HEADERS.mode, 'Accord-Mode'), MODES, 'Accord-Mode');
  const traceparent = headerValue(headers, ACCORD_HEADERS.traceparent) ?? null;
  return { gid, branchId, op, mode, traceparent };
}
