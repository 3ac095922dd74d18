/**
 * An airline's own database (SQLite): its flights' seats, and the reservations holding
 * them. It is the airline's {@link ReservationStore}, so a reservation and the seat it
 * holds change in one local transaction.
 */
import Database from 'better-sqlite3';
import type { Reservation, ReservationState, ReservationStore } from '@accord/client/tcc-rest';

/** What a reservation holds: one seat on one flight. */
export interface SeatHold {
  readonly flight: string;
  readonly seat: string;
}

/** A seat as the airline sees it. */
export interface SeatRow {
  readonly flight: string;
  readonly seat: string;
  /** `free`, or the state of the reservation holding it. */
  readonly status: 'free' | 'pending' | 'confirmed';
}

/** The airline's database. */
export class SeatStore implements ReservationStore<SeatHold> {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS seats (
        flight TEXT NOT NULL, seat TEXT NOT NULL, PRIMARY KEY (flight, seat));
      CREATE TABLE IF NOT EXISTS reservations (
        id TEXT PRIMARY KEY, flight TEXT NOT NULL, seat TEXT NOT NULL,
        expires INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS one_hold_per_seat
        ON reservations (flight, seat) WHERE state <> 'cancelled';`);
  }

  /** Adds a flight with `count` seats (1A, 1B, ...). */
  addFlight(flight: string, count: number): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO seats (flight, seat) VALUES (?, ?)');
    for (let i = 0; i < count; i++)
      insert.run(flight, `${Math.floor(i / 6) + 1}${'ABCDEF'[i % 6]}`);
  }

  /** A seat no live reservation holds, or null when the flight is full. */
  freeSeat(flight: string): string | null {
    const row = this.db
      .prepare(
        `SELECT s.seat FROM seats s WHERE s.flight = ? AND NOT EXISTS (
           SELECT 1 FROM reservations r
           WHERE r.flight = s.flight AND r.seat = s.seat AND r.state <> 'cancelled')
         ORDER BY s.seat LIMIT 1`,
      )
      .get(flight) as { seat: string } | undefined;
    return row?.seat ?? null;
  }

  /** Every seat of a flight with who holds it. */
  seats(flight: string): SeatRow[] {
    return this.db
      .prepare(
        `SELECT s.flight, s.seat, COALESCE(r.state, 'free') AS status FROM seats s
         LEFT JOIN reservations r
           ON r.flight = s.flight AND r.seat = s.seat AND r.state <> 'cancelled'
         WHERE s.flight = ? ORDER BY s.seat`,
      )
      .all(flight) as SeatRow[];
  }

  async insert(r: Reservation<SeatHold>): Promise<void> {
    this.db
      .prepare('INSERT INTO reservations (id, flight, seat, expires, state) VALUES (?, ?, ?, ?, ?)')
      .run(r.id, r.data.flight, r.data.seat, r.expires, r.state);
  }

  async get(id: string): Promise<Reservation<SeatHold> | undefined> {
    const row = this.db.prepare('SELECT * FROM reservations WHERE id = ?').get(id) as
      | { id: string; flight: string; seat: string; expires: number; state: ReservationState }
      | undefined;
    if (row === undefined) return undefined;
    const data = { flight: row.flight, seat: row.seat };
    return { id: row.id, data, expires: row.expires, state: row.state };
  }

  async transition(id: string, from: ReservationState, to: ReservationState): Promise<boolean> {
    const result = this.db
      .prepare('UPDATE reservations SET state = ? WHERE id = ? AND state = ?')
      .run(to, id, from);
    return result.changes === 1;
  }

  async expired(now: number): Promise<string[]> {
    const rows = this.db
      .prepare("SELECT id FROM reservations WHERE state = 'pending' AND expires <= ?")
      .all(now) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  close(): void {
    this.db.close();
  }
}
