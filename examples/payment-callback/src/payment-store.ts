/**
 * The payment platform's own database (SQLite): payments, whether they are paid, and
 * whether their notification was handed to the coordinator yet.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  status TEXT NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid')),
  created_at INTEGER NOT NULL,
  paid_at INTEGER,
  -- When the coordinator accepted the notification; NULL while it still has to be handed over.
  notified_at INTEGER,
  UNIQUE (merchant_id, order_id)
);
CREATE INDEX IF NOT EXISTS payments_to_notify ON payments (status, notified_at);
CREATE TABLE IF NOT EXISTS ops_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  gid TEXT NOT NULL,
  mode TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);`;

/** A payment as the platform stores it. */
export interface Payment {
  readonly id: string;
  readonly orderId: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly status: 'created' | 'paid';
  readonly createdAt: number;
  readonly paidAt: number | null;
  readonly notifiedAt: number | null;
}

/** An alert the coordinator posted (for example: a notification failed for good). */
export interface CoordinatorAlert {
  readonly kind: string;
  readonly gid: string;
  readonly mode: string;
  readonly reason: string;
  readonly at: string;
}

const COLUMNS = `id, order_id AS orderId, merchant_id AS merchantId, amount, status,
  created_at AS createdAt, paid_at AS paidAt, notified_at AS notifiedAt`;

/** The payments table in a SQLite file. */
export class PaymentStore {
  private readonly db: Database.Database;

  /** Opens (and creates if needed) the database at `file`. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Creates a payment for a merchant's order, or returns the one it already has. */
  create(merchantId: string, orderId: string, amount: number, now = Date.now()): Payment {
    const id = `p_${randomBytes(6).toString('hex')}`;
    this.db
      .prepare(
        `INSERT INTO payments (id, order_id, merchant_id, amount, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (merchant_id, order_id) DO NOTHING`,
      )
      .run(id, orderId, merchantId, amount, now);
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM payments WHERE merchant_id = ? AND order_id = ?`)
      .get(merchantId, orderId) as Payment;
  }

  /** The payment with this id, if any. */
  get(id: string): Payment | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM payments WHERE id = ?`).get(id) as
      Payment | undefined;
  }

  /**
   * Marks a payment paid in one local transaction; a payment already paid stays as it was
   * (completing twice is harmless). Returns it, or undefined when there is no such payment.
   */
  markPaid(id: string, now = Date.now()): Payment | undefined {
    return this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE payments SET status = 'paid', paid_at = ? WHERE id = ? AND status = 'created'`,
        )
        .run(now, id);
      return this.get(id);
    })();
  }

  /** Records that the coordinator accepted the payment's notification. */
  markNotified(id: string, now = Date.now()): void {
    this.db
      .prepare('UPDATE payments SET notified_at = ? WHERE id = ? AND notified_at IS NULL')
      .run(now, id);
  }

  /** Paid payments whose notification was never handed over (a crash came in between). */
  paidNotNotified(): Payment[] {
    return this.db
      .prepare(
        `SELECT ${COLUMNS} FROM payments WHERE status = 'paid' AND notified_at IS NULL ORDER BY paid_at`,
      )
      .all() as Payment[];
  }

  /** Keeps an alert for the operators. */
  recordAlert(alert: CoordinatorAlert): void {
    this.db
      .prepare('INSERT INTO ops_alerts (kind, gid, mode, reason, at) VALUES (?, ?, ?, ?, ?)')
      .run(alert.kind, alert.gid, alert.mode, alert.reason, alert.at);
  }

  /** The alerts received, oldest first. */
  alerts(): CoordinatorAlert[] {
    return this.db
      .prepare('SELECT kind, gid, mode, reason, at FROM ops_alerts ORDER BY id')
      .all() as CoordinatorAlert[];
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
