/**
 * The participant side of TCC for REST: reservations that hold something until the
 * coordinator confirms them (`PUT`) or cancels them (`DELETE`), and that cancel by
 * themselves once their expiry passes.
 */
import { randomUUID } from 'node:crypto';
import type { Reservation, ReservationStore } from './reservation-store.js';
import { MemoryReservationStore } from './reservation-store.js';

/** How reservations are kept and what happens when one ends. */
export interface ReservationsOptions<T> {
  /** Default: in memory. */
  readonly store?: ReservationStore<T>;
  /** Current time, ms (default `Date.now`). */
  readonly now?: () => number;
  /** Runs once a reservation is confirmed (after the store says so). */
  readonly onConfirm?: (reservation: Reservation<T>) => Promise<void> | void;
  /** Runs once a reservation is cancelled, by the coordinator or by its expiry. */
  readonly onCancel?: (reservation: Reservation<T>) => Promise<void> | void;
}

/**
 * The answer to a confirm or cancel: 204 done (also when it was done before), 404 gone
 * (unknown, expired or cancelled), 409 a cancel of a confirmed reservation.
 */
export type TccAnswer = 204 | 404 | 409;

/**
 * Reservations with an expiry.
 *
 * @example
 * const seats = new Reservations<{ seat: string }>();
 * const r = await seats.reserve({ seat: '12A' }, 30_000);
 * await seats.confirm(r.id); // 204, or 404 once it expired
 */
export class Reservations<T> {
  readonly store: ReservationStore<T>;
  private readonly now: () => number;

  constructor(private readonly options: ReservationsOptions<T> = {}) {
    this.store = options.store ?? new MemoryReservationStore<T>();
    this.now = options.now ?? Date.now;
  }

  /** Holds `data` for `ttlMs`; confirm or cancel it by its id. */
  async reserve(data: T, ttlMs: number, id: string = randomUUID()): Promise<Reservation<T>> {
    const reservation: Reservation<T> = { id, data, expires: this.now() + ttlMs, state: 'pending' };
    await this.store.insert(reservation);
    return reservation;
  }

  /** `PUT`: confirms a pending reservation that has not expired; idempotent. */
  async confirm(id: string): Promise<TccAnswer> {
    const found = await this.store.get(id);
    if (found === undefined || found.state === 'cancelled') return 404;
    if (found.state === 'confirmed') return 204;
    if (found.expires <= this.now()) {
      await this.end(found, 'cancelled');
      return 404;
    }
    if (!(await this.store.transition(id, 'pending', 'confirmed'))) return this.confirm(id);
    await this.options.onConfirm?.({ ...found, state: 'confirmed' });
    return 204;
  }

  /** `DELETE`: cancels a pending reservation; 404 when there is nothing to cancel. */
  async cancel(id: string): Promise<TccAnswer> {
    const found = await this.store.get(id);
    if (found === undefined || found.state === 'cancelled') return 404;
    if (found.state === 'confirmed') return 409;
    if (!(await this.end(found, 'cancelled'))) return this.cancel(id);
    return 204;
  }

  /** Cancels every pending reservation whose expiry has passed; returns how many. */
  async sweep(): Promise<number> {
    let count = 0;
    for (const id of await this.store.expired(this.now())) {
      const found = await this.store.get(id);
      if (found && (await this.end(found, 'cancelled'))) count += 1;
    }
    return count;
  }

  /** Sweeps every `intervalMs` until the returned function is called. */
  startSweeping(intervalMs = 1_000): () => void {
    const timer = setInterval(() => void this.sweep().catch(() => undefined), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async end(found: Reservation<T>, to: 'cancelled'): Promise<boolean> {
    if (!(await this.store.transition(found.id, 'pending', to))) return false;
    await this.options.onCancel?.({ ...found, state: to });
    return true;
  }
}
