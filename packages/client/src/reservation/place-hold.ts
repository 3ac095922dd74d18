/**
 * Placing a hold: the caller's local transaction marks the held thing, and a two-phase
 * message scheduled for the hold's expiry carries the check. The message is prepared
 * before the local transaction and submitted after it, so a hold whose transaction rolled
 * back is never checked, and one whose producer died after committing still is (the
 * coordinator asks the check-back, which the barrier answers).
 */
import { AccordError, MAX_DELIVERY_DELAY_MS } from '@accord/core';
import type { MsgBuilder, MsgInit } from '../client/msg.js';
import type { Transaction, TransactionOptionsInput } from '../client/wire-types.js';
import type { Hold } from './types.js';

/** What {@link placeHold} needs to know about a hold. */
export interface PlaceHoldOptions<P> {
  /** The business key of the held thing. */
  readonly key: string;
  /** How long the hold lasts before its check, ms (1 ms to 30 days). */
  readonly holdMs: number;
  /** Given back to the check (and the settler) as `hold.payload`; JSON. */
  readonly payload: P;
  /** The participant route that settles the hold: serve it with `holdCheckHandler`. */
  readonly checkUrl: string;
  /**
   * The message's check-back: serve it with `checkBackHandler` over the barrier whose
   * `msg(tx, gid)` the local transaction calls.
   */
  readonly checkBackUrl: string;
  /** Options of the message (retry budget, headers, prepared timeout). */
  readonly options?: TransactionOptionsInput;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
}

/** A placed hold. */
export interface PlacedHold<P, T> {
  readonly hold: Hold<P>;
  /** What the local transaction returned. */
  readonly result: T;
  /** The message as the coordinator took the submit. */
  readonly transaction: Transaction;
}

/** The part of the client a hold needs. */
export interface MsgFactory {
  msg(init: MsgInit): MsgBuilder;
}

/** Body of the check call: what the check handler reads back. */
export interface HoldCheckBody<P = unknown> {
  readonly key: string;
  readonly expiresAt: number;
  readonly payload: P;
}

/**
 * Places a hold: prepares the check message, runs `local(hold)` (the caller's own
 * transaction, which must mark the held thing and call `barrier.msg(tx, hold.gid)`), then
 * submits the message for delivery when the hold expires. What `local` throws is rethrown;
 * a `BusinessFailure` drops the message at once, anything else leaves it to the
 * check-back, exactly as for any two-phase message.
 *
 * @example
 * const { hold } = await placeHold(accord, {
 *   key: `slot-${slot}`, holdMs: 120_000, payload: { slot, orderId },
 *   checkUrl: `${me}/holds/check`, checkBackUrl: `${me}/holds/check-back`,
 * }, (hold) => db.transaction(() => {
 *   db.prepare("UPDATE slots SET state = 'pending', order_id = ? WHERE id = ? AND state = 'free'").run(orderId, slot);
 *   barrier.msg(db, hold.gid);
 * })());
 */
export async function placeHold<P, T>(
  accord: MsgFactory,
  options: PlaceHoldOptions<P>,
  local: (hold: Hold<P>) => T | Promise<T>,
): Promise<PlacedHold<P, T>> {
  checkHoldOptions(options);
  const expiresAt = (options.now ?? Date.now)() + options.holdMs;
  const body: HoldCheckBody<P> = { key: options.key, expiresAt, payload: options.payload };
  const init: MsgInit = { checkUrl: options.checkBackUrl };
  if (options.options !== undefined) init.options = options.options;
  const msg = accord
    .msg(init)
    .step({ id: 'check', action: options.checkUrl, payload: body })
    .deliverAt(new Date(expiresAt));
  let placed: Hold<P> | undefined;
  const { transaction, result } = await msg.doAndSubmit((gid) => {
    placed = { key: options.key, gid, expiresAt, payload: options.payload };
    return local(placed);
  });
  return { hold: placed!, result, transaction };
}

function checkHoldOptions(options: PlaceHoldOptions<unknown>): void {
  if (typeof options.key !== 'string' || options.key.length === 0 || options.key.length > 256) {
    throw new AccordError('INVALID_REQUEST', 'hold key must be a string of 1 to 256 characters');
  }
  const { holdMs } = options;
  if (!Number.isInteger(holdMs) || holdMs < 1 || holdMs > MAX_DELIVERY_DELAY_MS) {
    throw new AccordError(
      'INVALID_REQUEST',
      `holdMs must be an integer from 1 to ${MAX_DELIVERY_DELAY_MS} (30 days), got ${String(holdMs)}`,
    );
  }
}
