/**
 * The merchant's own database (SQLite): its orders, and an inbox of the payment
 * notifications already applied, which makes applying one idempotent.
 */
import Database from 'better-sqlite3';
import { BusinessFailure } from '@accord/client';
import type { PaymentNotice } from './payment-notice.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY,
  amount INTEGER NOT NULL CHECK (amount > 0),
  payment_id TEXT UNIQUE,
  status TEXT NOT NULL DEFAULT 'unpaid' CHECK (status IN ('unpaid', 'paid')),
  -- Grows by each applied payment: a payment applied twice would show here as 2 x amount.
  paid_amount INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  paid_at INTEGER
);
CREATE TABLE IF NOT EXISTS payment_inbox (
  notification_id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL UNIQUE,
  order_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  via TEXT NOT NULL CHECK (via IN ('callback', 'reconcile')),
  applied_at INTEGER NOT NULL
);`;

/** An order as the merchant stores it. */
export interface Order {
  readonly id: string;
  readonly amount: number;
  readonly paymentId: string | null;
  readonly status: 'unpaid' | 'paid';
  readonly paidAmount: number;
  readonly createdAt: number;
  readonly paidAt: number | null;
}

/** A payment notification the merchant applied. */
export interface InboxEntry {
  readonly notificationId: string;
  readonly paymentId: string;
  readonly orderId: string;
  readonly amount: number;
  /** How the merchant learnt of it: the callback, or its own query. */
  readonly via: 'callback' | 'reconcile';
  readonly appliedAt: number;
}

/** Whether applying a notification changed anything. */
export type ApplyOutcome = 'applied' | 'duplicate';

const ORDER_COLUMNS = `id, amount, payment_id AS paymentId, status, paid_amount AS paidAmount,
  created_at AS createdAt, paid_at AS paidAt`;

/** The orders and the payment inbox in a SQLite file. */
export class MerchantStore {
  private readonly db: Database.Database;

  /** Opens (and creates if needed) the database at `file`. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Creates an unpaid order (or leaves an existing one as it is). */
  createOrder(id: string, amount: number, now = Date.now()): void {
    this.db
      .prepare(
        'INSERT INTO orders (id, amount, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
      )
      .run(id, amount, now);
  }

  /** Records the payment the platform opened for an order. */
  attachPayment(orderId: string, paymentId: string): void {
    this.db.prepare('UPDATE orders SET payment_id = ? WHERE id = ?').run(paymentId, orderId);
  }

  /**
   * Applies a payment notification to its order, at most once: the inbox row and the
   * order update commit together, and the inbox's primary key turns every later delivery
   * of the same notification (a redelivery after a lost ack, the merchant's own query)
   * into a `duplicate` that changes nothing. Throws `BusinessFailure` when the notice
   * does not match an order of this merchant.
   */
  applyPayment(
    notificationId: string,
    notice: PaymentNotice,
    via: InboxEntry['via'],
    now = Date.now(),
  ): ApplyOutcome {
    return this.db.transaction((): ApplyOutcome => {
      const inserted = this.db
        .prepare(
          `INSERT INTO payment_inbox (notification_id, payment_id, order_id, amount, via, applied_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(notificationId, notice.paymentId, notice.orderId, notice.amount, via, now).changes;
      if (inserted === 0) return 'duplicate';
      const updated = this.db
        .prepare(
          `UPDATE orders SET status = 'paid', paid_amount = paid_amount + ?, paid_at = ?
           WHERE id = ? AND amount = ? AND (payment_id IS NULL OR payment_id = ?)`,
        )
        .run(notice.amount, now, notice.orderId, notice.amount, notice.paymentId).changes;
      if (updated === 0) {
        // Thrown inside the transaction: the inbox row is rolled back too.
        throw new BusinessFailure(
          `payment ${notice.paymentId} does not match order ${notice.orderId}`,
          { notice },
        );
      }
      return 'applied';
    })();
  }

  /** The order with this id, if any. */
  order(id: string): Order | undefined {
    return this.db.prepare(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ?`).get(id) as
      Order | undefined;
  }

  /** Every order, by id. */
  orders(): Order[] {
    return this.db.prepare(`SELECT ${ORDER_COLUMNS} FROM orders ORDER BY id`).all() as Order[];
  }

  /** Orders with a payment but still unpaid, created at or before `createdBefore`. */
  unpaidOrders(createdBefore: number): Order[] {
    return this.db
      .prepare(
        `SELECT ${ORDER_COLUMNS} FROM orders
         WHERE status = 'unpaid' AND payment_id IS NOT NULL AND created_at <= ? ORDER BY created_at`,
      )
      .all(createdBefore) as Order[];
  }

  /** The applied notifications, oldest first. */
  inbox(): InboxEntry[] {
    return this.db
      .prepare(
        `SELECT notification_id AS notificationId, payment_id AS paymentId, order_id AS orderId,
           amount, via, applied_at AS appliedAt FROM payment_inbox ORDER BY applied_at, rowid`,
      )
      .all() as InboxEntry[];
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
