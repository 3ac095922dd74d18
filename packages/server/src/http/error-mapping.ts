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
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  GID_CONFLICT: 409,
  INVALID_STATE: 409,
  BRANCH_CONFLICT: 409,
  TARGET_FORBIDDEN: 400,
  TRANSACTION_BUSY: 503,
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
    return {
      status: 415,
      body: { error: { code: 'INVALID_REQUEST', message: 'the body must be application/json' } },
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return toErrorReply(new AccordError('INVALID_REQUEST', e.message));
  }
  return toErrorReply(new AccordError('INTERNAL', 'internal error'));
}
