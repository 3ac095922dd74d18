/**
 * Starts repairs on this coordinator's own engine: each repair is a one-step saga created
 * exactly as `POST /v1/transactions` would create it, so it is checked against the target
 * policy, signed, retried and recorded like any other. A repeated gid with the same body
 * is the existing transaction; with a different body (the rows changed between a crash
 * and the resume) the first repair stands.
 */
import { AccordError } from '@accord/core';
import type { Engine } from '../engine/engine.js';
import { toNewTransaction, type CreateContext } from './create-request.js';
import type { RepairPayload, RepairStarter } from '../reconcile/runner/run-job.js';

/** A {@link RepairStarter} on `engine`. */
export function engineRepairs(engine: Engine, ctx: CreateContext): RepairStarter {
  return {
    async start(gid: string, url: string, payload: RepairPayload): Promise<void> {
      const spec = await toNewTransaction(
        { gid, mode: 'saga', steps: [{ id: 'repair', action: url, payload }] },
        ctx,
      );
      try {
        await engine.create(spec, null);
      } catch (error) {
        if (error instanceof AccordError && error.code === 'GID_CONFLICT') return;
        throw error;
      }
    },
  };
}
