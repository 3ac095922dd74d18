/**
 * Ready participant routes for XA branches: the local-work route the client calls, and
 * the commit/rollback route the coordinator calls. Mount them with `accordHandler` or
 * `accordFastifyHandler`.
 */
import { AccordError } from '@accord/core';
import type { AccordContext } from '../participant/context.js';
import type { AccordHandlerFn } from '../participant/process-call.js';
import type { PhaseTwoOutcome, XaParticipant } from './types.js';

/** What the phase-two route answers (200, JSON). */
export interface PhaseTwoAnswer {
  readonly outcome: PhaseTwoOutcome;
}

/**
 * The route for a branch's commit and rollback URLs (one route may serve both: the op
 * comes in `Accord-Op`). Answers `{ outcome }`; a database error answers 500, so the
 * coordinator retries.
 *
 * @example
 * app.post('/xa/phase-two', accordHandler(xaPhaseTwoHandler(xa), { secret }));
 */
export function xaPhaseTwoHandler(
  xa: Pick<XaParticipant<unknown>, 'phaseTwo'>,
): AccordHandlerFn<unknown, PhaseTwoAnswer> {
  return async (ctx) => ({ outcome: await xa.phaseTwo(ctx) });
}

/**
 * The route for a branch's local-work URL: runs `work` through `xa.local` (so it ends
 * prepared) and answers what it returns. Refuses calls that are not the client's `try`,
 * so that a misrouted commit or rollback never starts new work. Throw `BusinessFailure`
 * from `work` to refuse the branch (409): it is rolled back, nothing stays prepared.
 *
 * @example
 * app.post('/xa/withdraw', accordHandler(
 *   xaLocalHandler(xa, (client, body: Transfer) =>
 *     client.query('UPDATE account SET balance = balance - $1 WHERE id = $2', [body.amount, body.from]),
 *   ),
 * ));
 */
export function xaLocalHandler<C, B = unknown, R = unknown>(
  xa: Pick<XaParticipant<C>, 'local'>,
  work: (connection: C, body: B, ctx: AccordContext) => Promise<R>,
): AccordHandlerFn<B, R> {
  return async (ctx, body) => {
    if (ctx.op !== 'try') {
      throw new AccordError(
        'INVALID_REQUEST',
        `xa local work expects op try, got ${ctx.op}: check the branch's URLs`,
        { gid: ctx.gid, branchId: ctx.branchId, op: ctx.op },
      );
    }
    return xa.local(ctx, (connection) => work(connection, body, ctx));
  };
}
