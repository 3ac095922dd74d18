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
 * What the local-work route answers (200) to a repeated call of a branch whose work
 * another call already ran: the branch is `prepared` or `committed`, and nothing ran.
 */
export interface XaDuplicateAnswer {
  readonly duplicate: 'prepared' | 'committed';
}

/**
 * The route for a branch's local-work URL: runs `work` through `xa.local` (so it ends
 * prepared) and answers what it returns. Refuses calls that are not the client's `try`,
 * so that a misrouted commit or rollback never starts new work. Throw `BusinessFailure`
 * from `work` to refuse the branch (409): it is rolled back, nothing stays prepared.
 *
 * A repeated call never runs `work` twice: it answers {@link XaDuplicateAnswer} (200)
 * once the branch is prepared or committed, 409 after a rollback, and 425 when the first
 * call is still running after the helper's `busyTimeoutMs`.
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
): AccordHandlerFn<B, R | XaDuplicateAnswer> {
  return async (ctx, body) => {
    if (ctx.op !== 'try') {
      throw new AccordError(
        'INVALID_REQUEST',
        `xa local work expects op try, got ${ctx.op}: check the branch's URLs`,
        { gid: ctx.gid, branchId: ctx.branchId, op: ctx.op },
      );
    }
    const result = await xa.local(ctx, (connection) => work(connection, body, ctx));
    return result.applied ? result.value : { duplicate: result.state };
  };
}
