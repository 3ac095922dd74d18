/**
 * Delayed delivery: a two-phase message or a notification may ask that its delivery wait,
 * either a number of milliseconds after it is submitted (`delayMs`) or until an instant
 * (`deliverAt`). The delay belongs to the whole transaction, as DTM's `delay` does: a
 * message is one decision, and its steps become due together.
 */
import type { TransactionOptions } from './protocol.js';

/** The longest delay a delivery may ask for: 30 days, in ms. */
export const MAX_DELIVERY_DELAY_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * When the delivery of a transaction submitted at `submittedAt` falls due, or null when it
 * was not delayed. A `deliverAt` already past is due at once.
 *
 * @example
 * deliveryDueAt({ ...options, delayMs: 60_000 }, now); // now + 60 s
 */
export function deliveryDueAt(
  options: Pick<TransactionOptions, 'delayMs' | 'deliverAt'>,
  submittedAt: number,
): number | null {
  if (options.deliverAt !== undefined) return Math.max(submittedAt, options.deliverAt);
  if (options.delayMs !== undefined) return submittedAt + options.delayMs;
  return null;
}
