/**
 * The participant route for an at branch's commit and rollback URLs.
 */
import type { AccordHandlerFn } from '../participant/process-call.js';
import type { AtPhaseTwoOutcome } from './at-engine.js';
import type { AtParticipant } from './pg-at.js';

/** What the phase-two route answers (200, JSON). */
export interface AtPhaseTwoAnswer {
  readonly outcome: AtPhaseTwoOutcome;
}

/**
 * The route the coordinator calls for a branch's `commit` and `rollback` (one route
 * serves both). A dirty write answers 409 with the table, key, images and current row,
 * which the coordinator counts as a failure and, once retries run out, parks on; a
 * database error answers 500 and is retried.
 *
 * @example
 * app.post('/at', accordHandler(atPhaseTwoHandler(at), { secret }));
 */
export function atPhaseTwoHandler(
  at: Pick<AtParticipant<unknown>, 'phaseTwo'>,
): AccordHandlerFn<unknown, AtPhaseTwoAnswer> {
  return async (ctx) => ({ outcome: await at.phaseTwo(ctx) });
}
