/**
 * The one message of this example, `user.created`: what the user service writes to its
 * outbox and the points service reads off its queue. Both sides go through this file, so
 * the contract lives in one place.
 */
import { ValidationError, type FieldIssue } from '@accord/client';
import { OUTBOX_LIMITS } from '@accord/client/outbox';

/** Topic of the message, and its routing key on the exchange. */
export const USER_CREATED = 'user.created';

/** Longest user id the points ledger keys on. */
export const USER_ID_MAX = 64;

/** The payload of a `user.created` message. */
export interface UserCreated {
  readonly userId: string;
  readonly email: string;
}

/** A delivery as the points service reads it: the AMQP message id and the payload. */
export interface UserCreatedDelivery {
  /** The outbox id, carried as AMQP `messageId`; the inbox deduplicates on it. */
  readonly messageId: string;
  readonly event: UserCreated;
}

const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max && value.trim() === value;

/**
 * Reads a delivery: its `messageId` property and its JSON body. Throws `ValidationError`
 * (code `INVALID_REQUEST`, not retryable) naming every bad field: such a message is
 * poison, and no redelivery will make it any better.
 *
 * @example
 * const { messageId, event } = parseUserCreated(msg.properties.messageId, msg.content);
 */
export function parseUserCreated(messageId: unknown, content: Buffer): UserCreatedDelivery {
  const issues: FieldIssue[] = [];
  if (!isText(messageId, OUTBOX_LIMITS.id)) {
    issues.push({ path: 'messageId', message: `must be 1 to ${OUTBOX_LIMITS.id} characters` });
  }
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    issues.push({ path: '(body)', message: 'is not JSON' });
    throw new ValidationError(issues);
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (!isText(record['userId'], USER_ID_MAX)) {
    issues.push({ path: 'userId', message: `must be 1 to ${USER_ID_MAX} characters` });
  }
  if (typeof record['email'] !== 'string' || !record['email'].includes('@')) {
    issues.push({ path: 'email', message: 'must be an email address' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    messageId: messageId as string,
    event: { userId: record['userId'] as string, email: record['email'] as string },
  };
}
