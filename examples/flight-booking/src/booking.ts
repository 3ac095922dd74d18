/**
 * The booking client: holds a seat on every leg (each airline answers a participant
 * link), then asks the coordinator to confirm all the links at once. A leg with no seat
 * makes it cancel the seats already held.
 */
import type { AccordClient, ParticipantLinkInput, TccRestAnswer } from '@accord/client';

/** One leg of a trip: which airline, which flight. */
export interface Leg {
  readonly airline: string;
  readonly url: string;
  readonly flight: string;
}

/** A seat held on one leg. */
export interface HeldSeat extends ParticipantLinkInput {
  readonly airline: string;
  readonly seat: string;
}

/** How a booking went. */
export type BookingResult =
  | { readonly kind: 'decided'; readonly held: HeldSeat[]; readonly answer: TccRestAnswer }
  | {
      readonly kind: 'no-seat';
      readonly airline: string;
      readonly held: HeldSeat[];
      readonly cancel: TccRestAnswer;
    };

/** Holds a seat on a leg for `ttlMs`; null when the flight is full. */
export async function holdSeat(leg: Leg, ttlMs: number): Promise<HeldSeat | null> {
  const res = await fetch(`${leg.url}/flights/${leg.flight}/reservations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ttlMs }),
  });
  if (res.status === 409) {
    await res.body?.cancel();
    return null;
  }
  if (res.status !== 201) throw new Error(`${leg.airline} answered ${res.status}`);
  const { uri, expires, seat } = (await res.json()) as {
    uri: string;
    expires: string;
    seat: string;
  };
  return { airline: leg.airline, uri, expires, seat };
}

/**
 * Books every leg: holds the seats, waits `beforeConfirm` (the client's own work, such
 * as taking payment), then confirms through the coordinator.
 */
export async function bookTrip(
  accord: AccordClient,
  legs: readonly Leg[],
  options: { ttlMs: number; beforeConfirm?: () => Promise<void> },
): Promise<BookingResult> {
  const held: HeldSeat[] = [];
  for (const leg of legs) {
    const seat = await holdSeat(leg, options.ttlMs);
    if (seat === null) {
      const cancel =
        held.length === 0
          ? { status: 204 as const, participantLinks: [] }
          : await accord.cancelLinks(held);
      return { kind: 'no-seat', airline: leg.airline, held, cancel };
    }
    held.push(seat);
  }
  await options.beforeConfirm?.();
  return { kind: 'decided', held, answer: await accord.confirmLinks(held) };
}
