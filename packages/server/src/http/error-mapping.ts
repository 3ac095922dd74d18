/**
 * The one place where error codes become HTTP statuses and where framework errors
 * (validation, size, parsing) become Accord errors.
 */
import type { ErrorCode, FieldIssue } from '@accord/core';
import { AccordError, ValidationError } from '@accord/core';

/** HTTP status of every error code. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  GID_CONFLICT: 409,
  INVALID_STATE: 409,
  BRANCH_CONFLICT: 409,
  LOCK_CONFLICT: 409,
  TARGET_FORBIDDEN: 400,
  TRANSACTION_BUSY: 503,
  RECONCILIATION_NOT_FOUND: 404,
  RECONCILIATION_BUSY: 409,
  STORE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  CLOCK_MOVED_BACKWARDS: 503,
  INTERNAL: 500,
  BRANCH_FAILED: 409,
  BRANCH_ONGOING: 425,
  COORDINATOR_ERROR: 502,
  SIGNATURE_INVALID: 401,
  PUBLISH_UNROUTABLE: 502,
  PUBLISH_NACKED: 502,
  PUBLISH_TIMEOUT: 504,
  PUBLISH_DISCONNECTED: 502,
  PUBLISH_REJECTED: 502,
  PUBLISH_CONFLICT: 409,
};

/** The JSON body of an error reply. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

interface FrameworkError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: AjvIssue[];
  validationContext?: string;
}

/** Turns ajv issues into field issues with full JSON paths. */
export function issuesFromAjv(issues: readonly AjvIssue[], context = 'body'): FieldIssue[] {
  const prefix = context === 'body' ? '' : `(${context})`;
  return issues
    .filter((i) => i.keyword !== 'anyOf' && i.keyword !== 'if')
    .map((i) => {
      if (i.keyword === 'required') {
        return {
          path: `${prefix}${i.instancePath}/${String(i.params['missingProperty'])}`,
          message: 'is required',
        };
      }
      if (i.keyword === 'additionalProperties') {
        return {
          path: `${prefix}${i.instancePath}/${String(i.params['additionalProperty'])}`,
          message: 'is not a known field',
        };
      }
      return { path: `${prefix}${i.instancePath}`, message: i.message ?? i.keyword };
    });
}

/** Maps any thrown value to a status and an error body. */
export function toErrorReply(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AccordError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: HTTP_STATUS[error.code], body };
  }
  const e = error as FrameworkError;
  if (e.validation) {
    return toErrorReply(new ValidationError(issuesFromAjv(e.validation, e.validationContext)));
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
    return toErrorReply(
      new AccordError('PAYLOAD_TOO_LARGE', 'the request body is larger than the limit'),
    );
  }
  if (e.statusCode === 415) {
    return toErrorReply(
      new AccordError('UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json'),
    );
  }
  if (e.code === 'FST_ERR_BAD_URL') {
    return toErrorReply(
      new AccordError('INVALID_REQUEST', 'the path is not valid percent-encoded UTF-8'),
    );
  }
  if (e.code === 'FST_ERR_MAX_PARAM_LENGTH' || e.statusCode === 414) {
    return toErrorReply(
      new AccordError('URI_TOO_LONG', 'a path parameter is longer than the limit'),
    );
  }
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return toErrorReply(
      new AccordError('INVALID_REQUEST', 'the body is empty but content-type is application/json'),
    );
  }
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e instanceof SyntaxError) {
    return toErrorReply(new AccordError('INVALID_REQUEST', 'the body is not valid JSON'));
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return toErrorReply(new AccordError('INVALID_REQUEST', e.message));
  }
  return toErrorReply(new AccordError('INTERNAL', 'internal error'));
}

/**
 * The raw HTTP response for an error Node's parser found before any request existed:
 * 431 for oversized headers, 400 for anything else, in the usual JSON error shape.
 */
export function clientErrorReply(error: { code?: string }): string {
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const { status, body } = toErrorReply(
    tooLarge
      ? new AccordError('HEADERS_TOO_LARGE', 'the request headers are larger than the limit')
      : new AccordError('INVALID_REQUEST', 'the request is not valid HTTP'),
  );
  const json = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    'connection: close',
    '',
    json,
  ].join('\r\n');
}
