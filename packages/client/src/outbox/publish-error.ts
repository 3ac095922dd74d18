/**
 * Why a publisher failed, with a stable code. Every publish failure is retried by the
 * relay (with backoff), so the code is for logs, alerts and tests.
 */

import type { ErrorCode } from '@accord/core';

/**
 * Codes of {@link PublishError} (listed with the others in core's `ERROR_CODES`):
 * `PUBLISH_UNROUTABLE` (no queue was bound, an AMQP return), `PUBLISH_NACKED` (an AMQP
 * nack), `PUBLISH_TIMEOUT` (no confirmation in time), `PUBLISH_DISCONNECTED` (the
 * connection or channel was lost or could not be opened), `PUBLISH_REJECTED` (a non-2xx
 * HTTP answer), `PUBLISH_CONFLICT` (the coordinator holds the id in a state that cannot
 * deliver it).
 */
export type PublishErrorCode = Extract<ErrorCode, `PUBLISH_${string}`>;

/**
 * A publish that did not reach its destination durably.
 *
 * @example
 * try { await publisher.publish(message); } catch (e) { if (e instanceof PublishError) log.warn(e.code); }
 */
export class PublishError extends Error {
  readonly code: PublishErrorCode;
  readonly details: unknown;

  constructor(
    code: PublishErrorCode,
    message: string,
    options?: { cause?: unknown; details?: unknown },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'PublishError';
    this.code = code;
    this.details = options?.details;
  }
}

/** Rejects with a `PUBLISH_TIMEOUT` error if `promise` has not settled in `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PublishError('PUBLISH_TIMEOUT', `${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
