/**
 * How a participant's result or error becomes an HTTP answer: 2xx with the JSON result,
 * 409 for `BusinessFailure`, 425 for `Ongoing`, 500 (message only, no stack) otherwise.
 */
import { isAccordError, PARTICIPANT_STATUS } from '@accord/core';

/** An answer to send: status and an optional JSON body. */
export interface Reply {
  readonly status: number;
  /** Serialised as JSON; undefined sends no body. */
  readonly body?: unknown;
}

/**
 * A plain-text answer, for receivers whose caller expects an exact body (a notification
 * with `ackBody: 'success'`). Return it from a handler instead of a JSON value.
 *
 * @example
 * app.post('/callbacks/payment', accordHandler(async (ctx, body) => { await apply(body); return textReply('success'); }));
 */
export class TextReply {
  constructor(readonly text: string) {}
}

/** Shorthand for `new TextReply(text)`. */
export function textReply(text: string): TextReply {
  return new TextReply(text);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'participant error';
}

/**
 * The answer for what the business function returned: 200 with it as JSON, or 204 when
 * it returned nothing.
 *
 * @example
 * successReply({ holdId: 'h1' }); // { status: 200, body: { holdId: 'h1' } }
 */
export function successReply(result: unknown): Reply {
  return result === undefined ? { status: 204 } : { status: 200, body: result };
}

/**
 * The answer for what the business function threw.
 *
 * @example
 * errorReply(new BusinessFailure('insufficient funds'));
 * // { status: 409, body: { error: { code: 'BRANCH_FAILED', message: 'insufficient funds' } } }
 */
export function errorReply(error: unknown): Reply {
  if (isAccordError(error) && error.code === 'BRANCH_FAILED') {
    const body = { code: error.code, message: error.message, details: error.details };
    return { status: PARTICIPANT_STATUS.failure, body: { error: body } };
  }
  if (isAccordError(error) && error.code === 'BRANCH_ONGOING') {
    return {
      status: PARTICIPANT_STATUS.ongoing,
      body: { error: { code: error.code, message: error.message } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: messageOf(error) } } };
}

/**
 * The answer for a call rejected before the business function ran: 400 for bad headers
 * or body, 401 for a bad signature, 413 for a too-large body, 500 for anything else (a
 * setup problem, e.g. the raw body is gone).
 */
export function rejectionReply(error: unknown): Reply {
  const status = !isAccordError(error)
    ? 500
    : error.code === 'INVALID_REQUEST'
      ? 400
      : error.code === 'SIGNATURE_INVALID'
        ? 401
        : error.code === 'PAYLOAD_TOO_LARGE'
          ? 413
          : 500;
  const code = isAccordError(error) ? error.code : 'INTERNAL';
  return { status, body: { error: { code, message: messageOf(error) } } };
}
