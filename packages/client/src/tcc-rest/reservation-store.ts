/**
 * Where a TCC-for-REST participant keeps its reservations: a small structural interface,
 * so a service can keep them in its own database (in the same table as the business
 * state they hold), with an in-memory store as the default.
 */

/** The life of a reservation: pending until confirmed, cancelled or expired. */
export type ReservationState = 'pending' | 'confirmed' | 'cancelled';

/** One reservation: what it holds, and until when it holds it unconfirmed. */
export interface Reservation<T> {
  readonly id: string;
  readonly data: T;
  /** Expiry, ms since the epoch; a pending reservation past it cancels itself. */
  readonly expires: number;
  readonly state: ReservationState;
}

/**
 * Storage of reservations. `transition` must be a compare-and-set: it changes the state
 * only when it is still `from`, and says whether it did.
 *
 * @example
 * const store: ReservationStore<{ seat: string }> = new MemoryReservationStore();
 */
export interface ReservationStore<T> {
  insert(reservation: Reservation<T>): Promise<void>;
  get(id: string): Promise<Reservation<T> | undefined>;
  transition(id: string, from: ReservationState, to: ReservationState): Promise<boolean>;
  /** Ids of pending reservations whose expiry is at or before `now`. */
  expired(now: number): Promise<string[]>;
}

/** Reservations in memory: for tests, demos, and services that hold nothing across restarts. */
export class MemoryReservationStore<T> implements ReservationStore<T> {
  private readonly rows = new Map<string, Reservation<T>>();

  async insert(reservation: Reservation<T>): Promise<void> {
    if (this.rows.has(reservation.id)) throw new Error(`reservation ${reservation.id} exists`);
    this.rows.set(reservation.id, reservation);
  }

  async get(id: string): Promise<Reservation<T> | undefined> {
    return this.rows.get(id);
  }

  async transition(id: string, from: ReservationState, to: ReservationState): Promise<boolean> {
    const row = this.rows.get(id);
    if (row?.state !== from) return false;
    this.rows.set(id, { ...row, state: to });
    return true;
  }

  async expired(now: number): Promise<string[]> {
    return [...this.rows.values()]
      .filter((r) => r.state === 'pending' && r.expires <= now)
      .map((r) => r.id);
  }
}
