/**
 * DTM's reply shapes: `{ dtm_result: "SUCCESS" }` with 200; a refusal with 409 and
 * `dtm_result: "FAILURE"`; not finished with 425 and `ONGOING`; other errors with their
 * status and a `message` (older DTM clients read `dtm_result`, newer ones the status).
 */
import type { TSchema } from '@sinclair/typebox';
import type { ErrorCode, TransactionSnapshot } from '@accord/core';
import { AccordError, isTerminal, ValidationError } from '@accord/core';
import { DtmFailureSchema, DtmFaultSchema, DtmOngoingSchema } from '@accord/core/schemas';
import { HTTP_STATUS, toErrorReply } from '../error-mapping.js';
import { errorReplies } from '../replies.js';

/** DTM's success body. */
export const DTM_SUCCESS = { dtm_result: 'SUCCESS' } as const;

/** A DTM reply: status and body. */
export interface DtmReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A refusal (409, `FAILURE`). */
export function dtmFailure(message: string): AccordError {
  return new AccordError('BRANCH_FAILED', message);
}

/** Not finished yet (425, `ONGOING`). */
export function dtmOngoing(message: string): AccordError {
  return new AccordError('BRANCH_ONGOING', message);
}

/** The shape of DTM's error answer with `status`: ONGOING for 425, a bare message for 5xx. */
export function dtmErrorSchema(status: number): TSchema {
  if (status === HTTP_STATUS.BRANCH_ONGOING) return DtmOngoingSchema;
  return status >= 500 ? DtmFaultSchema : DtmFailureSchema;
}

/**
 * The response schemas of a DTM route: `success` as given, and for every status `codes`
 * map to, DTM's error shape of that status with the codes in `x-error-codes` (the body
 * carries no code: DTM's clients read the status and `dtm_result`).
 *
 * @example
 * schema: { response: dtmReplies({ 200: DtmSuccessSchema }, [...CLIENT_ROUTE, 'BRANCH_FAILED']) }
 */
export function dtmReplies<S extends Record<number, TSchema>>(
  success: S,
  codes: readonly ErrorCode[],
): S {
  return { ...success, ...errorReplies(codes, dtmErrorSchema) };
}

/** Maps any error to DTM's reply shape, keeping the native status of each error code. */
export function dtmErrorReply(error: unknown): DtmReply {
  if (error instanceof ValidationError) {
    const message = error.issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ');
    return { status: 400, body: { dtm_result: 'FAILURE', message } };
  }
  const { status, body } = toErrorReply(error);
  const message = body.error.message;
  if (status === HTTP_STATUS.BRANCH_ONGOING) {
    return { status, body: { dtm_result: 'ONGOING', message } };
  }
  if (status >= 500) return { status, body: { message } };
  return { status, body: { dtm_result: 'FAILURE', message } };
}

/**
 * The answer to a submit or abort that waited for the end (`wait_result`): success once
 * succeeded, a refusal once failed, ongoing when the wait ran out first.
 */
export function waitedReply(snapshot: TransactionSnapshot, expected: 'succeeded' | 'failed') {
  const { tx } = snapshot;
  if (!isTerminal(tx.status)) {
    throw dtmOngoing(`transaction "${tx.gid}" is still ${tx.status}; query it later`);
  }
  if (tx.status !== expected) {
    throw dtmFailure(`transaction "${tx.gid}" ${tx.status}: ${tx.reason ?? 'no reason given'}`);
  }
  return DTM_SUCCESS;
}
