/**
 * Glue between a barrier's `checkPrepared` and a participant route: the msg check-back
 * answers 200 when the producer's local transaction committed, 409 when it did not (and
 * never will).
 */
import { BusinessFailure } from '../participant/failures.js';
import type { AccordHandlerFn } from '../participant/process-call.js';
import type { PreparedStatus } from './types.js';

/**
 * A participant function for the msg check-back route: give it to `accordHandler` or
 * `accordFastifyHandler`.
 *
 * @example
 * const barrier = pgBarrier();
 * app.post('/accord/check', accordHandler(checkBackHandler((gid) => barrier.checkPrepared(pool, gid)), { secret }));
 */
export function checkBackHandler(
  check: (gid: string) => PreparedStatus | Promise<PreparedStatus>,
): AccordHandlerFn<unknown, { status: 'committed' }> {
  return async (ctx) => {
    const status = await check(ctx.gid);
    if (status === 'rolledback') {
      throw new BusinessFailure(`local transaction of ${ctx.gid} did not commit`);
    }
    return { status: 'committed' };
  };
}
