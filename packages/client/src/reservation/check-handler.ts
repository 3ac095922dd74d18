/**
 * The participant route of a hold's delayed check: reads the hold back from the message,
 * settles it, and answers "ongoing" while the state it waits for is not known yet, so the
 * coordinator asks again.
 */
import { AccordError } from '@accord/core';
import { Ongoing } from '../participant/failures.js';
import type { AccordHandlerFn } from '../participant/process-call.js';
import type { HoldCheckBody } from './place-hold.js';
import { settleHold } from './settle.js';
import type { Hold, HoldSettler } from './types.js';

/** What the check route answers once a hold is settled. */
export interface HoldCheckResult {
  readonly key: string;
  readonly outcome: 'confirmed' | 'released';
}

/**
 * A participant function for the check route of holds placed with `placeHold`: give it to
 * `accordHandler` (or the Express, Fastify or Hono adapter). `wait` answers 425, which the
 * coordinator retries after its fixed ongoing delay without using the retry budget.
 *
 * @example
 * app.post('/holds/check', accordHandler(holdCheckHandler(settler), { secret }));
 */
export function holdCheckHandler<P>(
  settler: HoldSettler<P>,
): AccordHandlerFn<unknown, HoldCheckResult> {
  return async (ctx, body) => {
    const hold = readHold<P>(ctx.gid, body);
    const outcome = await settleHold(settler, hold);
    if (outcome === 'waiting') throw new Ongoing(`hold ${hold.key}: not decided yet`);
    return { key: hold.key, outcome };
  };
}

function readHold<P>(gid: string, body: unknown): Hold<P> {
  const candidate = body as Partial<HoldCheckBody<P>> | undefined;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new AccordError('INVALID_REQUEST', 'hold check: body must be the object placeHold sent');
  }
  if (typeof candidate.key !== 'string' || candidate.key.length === 0) {
    throw new AccordError('INVALID_REQUEST', 'hold check: /key must be a non-empty string');
  }
  if (typeof candidate.expiresAt !== 'number' || !Number.isFinite(candidate.expiresAt)) {
    throw new AccordError('INVALID_REQUEST', 'hold check: /expiresAt must be a number (ms)');
  }
  return {
    key: candidate.key,
    gid,
    expiresAt: candidate.expiresAt,
    payload: candidate.payload as P,
  };
}
