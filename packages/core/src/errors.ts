/**
 * Errors with stable string codes and a retry meaning. The HTTP mapping lives in the
 * server, once; every code is listed in docs/errors.md (a test keeps them in step).
 */

/** Every error code Accord emits, with whether retrying the same request may succeed. */
export const ERROR_CODES = {
  INVALID_REQUEST: { retryable: false, summary: 'The request is malformed or a field is invalid.' },
  PAYLOAD_TOO_LARGE: { retryable: false, summary: 'The body or a field exceeds a size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { retryable: false, summary: 'The body is not application/json.' },
  URI_TOO_LONG: { retryable: false, summary: 'A path parameter is longer than allowed.' },
  HEADERS_TOO_LARGE: { retryable: false, summary: 'The request headers are too large.' },
  UNAUTHORIZED: { retryable: false, summary: 'No valid bearer token was given.' },
  FORBIDDEN: { retryable: false, summary: "The token's role does not allow this action." },
  NOT_FOUND: { retryable: false, summary: 'No such route.' },
  TRANSACTION_NOT_FOUND: { retryable: false, summary: 'No transaction has this gid.' },
  GID_CONFLICT: {
    retryable: false,
    summary: 'A transaction with this gid exists with a different body.',
  },
  INVALID_STATE: {
    retryable: false,
    summary: 'The transaction is in a status that does not allow this action.',
  },
  BRANCH_CONFLICT: {
    retryable: false,
    summary: 'A branch with this id is already registered with a different body.',
  },
  LOCK_CONFLICT: {
    retryable: true,
    summary: 'A row lock of an at branch is held by another open transaction.',
  },
  TARGET_FORBIDDEN: {
    retryable: false,
    summary: 'A branch URL points at an address the outbound policy denies.',
  },
  TRANSACTION_BUSY: {
    retryable: true,
    summary: 'Another coordinator instance holds the transaction right now.',
  },
  RECONCILIATION_NOT_FOUND: {
    retryable: false,
    summary: 'No reconciliation job (or no run of it) has this id.',
  },
  RECONCILIATION_BUSY: {
    retryable: true,
    summary: 'A run of this reconciliation job is going on already.',
  },
  STORE_UNAVAILABLE: { retryable: true, summary: 'The store cannot be reached.' },
  SHUTTING_DOWN: { retryable: true, summary: 'The coordinator is stopping.' },
  CLOCK_MOVED_BACKWARDS: {
    retryable: true,
    summary: 'The clock went back; ids are refused until it catches up.',
  },
  INTERNAL: { retryable: true, summary: 'An unexpected error; the log has details.' },
  // SDK-side codes
  BRANCH_FAILED: { retryable: false, summary: 'A participant refused the operation (HTTP 409).' },
  BRANCH_ONGOING: { retryable: true, summary: 'A participant is still working (HTTP 425).' },
  COORDINATOR_ERROR: {
    retryable: true,
    summary: 'The coordinator answered with an unexpected error.',
  },
  SIGNATURE_INVALID: {
    retryable: false,
    summary: 'A callback signature is missing, stale or wrong.',
  },
  // Outbox relay publishers (every one is retried by the relay with backoff)
  PUBLISH_UNROUTABLE: {
    retryable: true,
    summary: 'The broker took the message but no queue or stream was there to keep it.',
  },
  PUBLISH_NACKED: { retryable: true, summary: 'The broker refused the message.' },
  PUBLISH_TIMEOUT: { retryable: true, summary: 'No confirmation of the publish arrived in time.' },
  PUBLISH_DISCONNECTED: {
    retryable: true,
    summary: 'The connection to the destination was lost or could not be opened.',
  },
  PUBLISH_REJECTED: { retryable: true, summary: 'The HTTP destination answered a non-2xx status.' },
  PUBLISH_CONFLICT: {
    retryable: true,
    summary: 'The coordinator holds this message id in a state that cannot deliver it.',
  },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** One invalid field in a request. */
export interface FieldIssue {
  /** JSON path of the field, e.g. `/steps/2/action`. */
  readonly path: string;
  readonly message: string;
}

/** Base error of Accord: a stable code, a message, optional details. */
export class AccordError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AccordError';
    this.code = code;
    this.details = details;
  }

  /** Whether the same request may succeed if tried again later. */
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** Invalid input: names every offending field. */
export class ValidationError extends AccordError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    const first = issues[0];
    super(
      'INVALID_REQUEST',
      first ? `${first.path || '(body)'}: ${first.message}` : 'invalid request',
      { issues },
    );
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** True if `value` is an {@link AccordError}. */
export function isAccordError(value: unknown): value is AccordError {
  return value instanceof AccordError;
}
