/**
 * Shapes of a business reservation with a delayed check: a hold placed in the caller's own
 * local transaction, settled when it expires by asking the state it waits for.
 */

/** What a check decided about a hold. */
export type HoldDecision =
  /** What the hold waited for happened (the order committed): make the hold final. */
  | 'confirm'
  /** It will never happen (the order rolled back): give the held thing back. */
  | 'release'
  /** Not known yet (the order is still being created): ask again later. */
  | 'wait';

/** A hold as a check or a sweep sees it. `P` types the payload given when it was placed. */
export interface Hold<P = unknown> {
  /** The business key of the held thing (a slot, a seat, a stock line). */
  readonly key: string;
  /** The two-phase message that carries the check; empty for a hold found by a sweep alone. */
  readonly gid: string;
  /** When the hold expires (ms since the epoch): the check falls due then. */
  readonly expiresAt: number;
  readonly payload: P;
}

/**
 * The business side of a check. Every function must be idempotent: a check can arrive
 * twice, and a sweep can settle a hold its check settles too.
 *
 * @example
 * const settler: HoldSettler<{ slot: string; orderId: string }> = {
 *   decide: async (hold) => orderState(hold.payload.orderId), // 'confirm' | 'release' | 'wait'
 *   confirm: (hold) => db.run("UPDATE slots SET state = 'rented' WHERE id = ? AND state = 'pending'", hold.payload.slot),
 *   release: (hold) => db.run("UPDATE slots SET state = 'free' WHERE id = ? AND state = 'pending'", hold.payload.slot),
 * };
 */
export interface HoldSettler<P = unknown> {
  /** Looks up the state the hold waits for. */
  decide(hold: Hold<P>): HoldDecision | Promise<HoldDecision>;
  /** Makes the hold final; nothing to do when it already is (or was released). */
  confirm(hold: Hold<P>): void | Promise<void>;
  /** Gives the held thing back; nothing to do when it already was (or was confirmed). */
  release(hold: Hold<P>): void | Promise<void>;
}

/** What settling one hold did. */
export type SettleOutcome = 'confirmed' | 'released' | 'waiting';
