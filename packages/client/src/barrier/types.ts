/**
 * Shapes shared by every barrier dialect.
 */
import type { ParticipantOp } from '@accord/core';

/** The branch call a barrier guards (an `AccordContext` fits). */
export interface BarrierContext {
  readonly gid: string;
  readonly branchId: string;
  readonly op: ParticipantOp;
}

/** Why the barrier skipped the business code. */
export type BarrierSkipReason =
  /** This op already ran (and committed) for this branch. */
  | 'duplicate'
  /** A try/action arrived after its cancel/compensate: it must not run any more. */
  | 'hanging'
  /** A cancel/compensate arrived for a try/action that never ran: nothing to undo. */
  | 'empty-compensation';

/**
 * What a barrier run did. Either way the call succeeded and the participant should answer
 * 2xx; a skipped call has nothing more to do.
 *
 * @example
 * const r = await barrier.run(client, ctx, () => debit(client, body));
 * if (!r.applied) log.info(`skipped: ${r.reason}`);
 */
export type BarrierResult<T> =
  | { readonly applied: true; readonly value: T }
  | { readonly applied: false; readonly reason: BarrierSkipReason };

/** Options of one barrier run. */
export interface BarrierRunOptions {
  /**
   * The barrier id within this branch op. Default: `01` for the first run with a given
   * context object, `02` for the second, … (several guarded steps in one handler).
   */
  barrierId?: string;
}

/** Answer of a msg check-back: did the producer's local transaction commit? */
export type PreparedStatus = 'committed' | 'rolledback';

/** Options of a barrier. */
export interface BarrierOptions {
  /** Table name, optionally schema-qualified (default `accord_barrier`). */
  table?: string;
}

/** The fixed row the msg producer writes, and the check-back competes for. */
export const MSG_BARRIER = {
  branchId: '00',
  op: 'msg',
  barrierId: '01',
  /** Reason of the row written by the producer's local transaction. */
  committed: 'msg',
  /** Reason of the row written by a check-back that got there first. */
  rollback: 'rollback',
} as const;
