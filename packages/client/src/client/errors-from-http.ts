/**
 * Turns coordinator answers and network failures into {@link AccordError}s: the server's
 * own code, message and details when it sent the standard error shape, else
 * `COORDINATOR_ERROR` with what was seen.
 */
import { AccordError, ERROR_CODES, type ErrorCode } from '@accord/core';

/** Longest excerpt of an unexpected body kept in error details. */
const EXCERPT = 500;

/** Sets `cause` on an error and returns it. */
export function withCause<E extends Error>(error: E, cause: unknown): E {
  error.cause = cause;
  return error;
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Parses a JSON body, or returns undefined when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The error for a non-2xx coordinator answer.
 *
 * @example
 * errorFromAnswer(404, '{"error":{"code":"TRANSACTION_NOT_FOUND","message":"no such gid"}}');
 * // AccordError { code: 'TRANSACTION_NOT_FOUND', message: 'no such gid' }
 */
export function errorFromAnswer(status: number, text: string): AccordError {
  const body = parseJson(text);
  const error =
    typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  if (typeof error === 'object' && error !== null) {
    const { code, message, details } = error as {
      code?: unknown;
      message?: unknown;
      details?: unknown;
    };
    const said = typeof message === 'string' ? message : `coordinator answered ${status}`;
    if (isErrorCode(code)) return new AccordError(code, said, details);
    if (typeof code === 'string') {
      return new AccordError('COORDINATOR_ERROR', said, { httpStatus: status, code, details });
    }
  }
  return new AccordError('COORDINATOR_ERROR', `coordinator answered ${status}`, {
    httpStatus: status,
    body: text.slice(0, EXCERPT),
  });
}

/** The error for an answer whose 2xx body lacks the expected shape. */
export function unexpectedAnswer(what: string, status: number, text: string): AccordError {
  return new AccordError('COORDINATOR_ERROR', `unexpected answer to ${what}`, {
    httpStatus: status,
    body: text.slice(0, EXCERPT),
  });
}

/** Short description of a network failure (undici puts the useful bit in `code`). */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'no answer in time';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}

/**
 * The error for a request that got no answer (refused, reset, timed out).
 *
 * @example
 * networkError('POST /v1/transactions', new Error('connect ECONNREFUSED'));
 */
export function networkError(what: string, cause: unknown): AccordError {
  return withCause(
    new AccordError('COORDINATOR_ERROR', `${what} failed: ${describeNetworkError(cause)}`),
    cause,
  );
}
