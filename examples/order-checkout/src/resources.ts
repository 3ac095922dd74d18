/**
 * The business rules of the four services, written once for both databases: what a
 * checkout changes in each one (`apply`), how a saga compensation undoes it (`undo`), and
 * the starting inventory (`seed`).
 */
import { BusinessFailure } from '@accord/client';
import type { Checkout, ResourceName } from './checkout.js';
import { POINTS_PER_ORDER } from './checkout.js';
import type { Sql } from './sql.js';

/**
 * What the shop starts with: units in stock per sku and wallet balance per customer.
 * Every customer also gets a points account at 0.
 *
 * @example
 * const seed: ShopSeed = { stock: { tea: 100 }, wallets: { ada: 500 } };
 */
export interface ShopSeed {
  readonly stock: Readonly<Record<string, number>>;
  readonly wallets: Readonly<Record<string, number>>;
}

/** One service's part of a checkout. */
export interface ShopResource {
  readonly name: ResourceName;
  /**
   * The forward change, on a connection inside the branch's local transaction (a
   * barrier-guarded one for a saga, an XA one for xa). Throws `BusinessFailure` to refuse.
   */
  apply(tx: Sql, checkout: Checkout): Promise<void>;
  /** Undoes `apply` (saga compensation); the barrier runs it only after an applied `apply`. */
  undo(tx: Sql, checkout: Checkout): Promise<void>;
  /** Fills the service's tables from the starting inventory. */
  seed(sql: Sql, seed: ShopSeed): Promise<void>;
}

async function insertEach(
  sql: Sql,
  text: string,
  entries: Readonly<Record<string, number>>,
): Promise<void> {
  for (const [key, value] of Object.entries(entries)) await sql.exec(text, [key, value]);
}

/** stock: deducts the units, refusing when fewer are available. */
export const stockResource: ShopResource = {
  name: 'stock',
  async apply(tx, c) {
    const changed = await tx.exec(
      'UPDATE stock SET available = available - ? WHERE sku = ? AND available >= ?',
      [c.qty, c.sku, c.qty],
    );
    if (changed === 0) {
      throw new BusinessFailure(`insufficient stock of ${c.sku} for ${c.qty}`, { sku: c.sku });
    }
  },
  async undo(tx, c) {
    await tx.exec('UPDATE stock SET available = available + ? WHERE sku = ?', [c.qty, c.sku]);
  },
  async seed(sql, seed) {
    await insertEach(sql, 'INSERT INTO stock (sku, available) VALUES (?, ?)', seed.stock);
  },
};

/** order: creates the order row (`placed`); the compensation marks it `cancelled`. */
export const orderResource: ShopResource = {
  name: 'order',
  async apply(tx, c) {
    // Two checkouts with one order id are refused, not merged (a racing second insert
    // fails on the key, is retried, and then lands here).
    const existing = await tx.rows('SELECT id FROM orders WHERE id = ?', [c.orderId]);
    if (existing.length > 0) throw new BusinessFailure(`order ${c.orderId} already exists`);
    await tx.exec(
      "INSERT INTO orders (id, customer, sku, qty, amount, status) VALUES (?, ?, ?, ?, ?, 'placed')",
      [c.orderId, c.customer, c.sku, c.qty, c.amount],
    );
  },
  async undo(tx, c) {
    await tx.exec("UPDATE orders SET status = 'cancelled' WHERE id = ?", [c.orderId]);
  },
  async seed() {},
};

/** points: grants {@link POINTS_PER_ORDER} to the customer's account. */
export const pointsResource: ShopResource = {
  name: 'points',
  async apply(tx, c) {
    const changed = await tx.exec('UPDATE points SET balance = balance + ? WHERE customer = ?', [
      POINTS_PER_ORDER,
      c.customer,
    ]);
    if (changed === 0) throw new BusinessFailure(`no points account for ${c.customer}`);
  },
  async undo(tx, c) {
    await tx.exec('UPDATE points SET balance = balance - ? WHERE customer = ?', [
      POINTS_PER_ORDER,
      c.customer,
    ]);
  },
  async seed(sql, seed) {
    const zero = Object.fromEntries(Object.keys(seed.wallets).map((customer) => [customer, 0]));
    await insertEach(sql, 'INSERT INTO points (customer, balance) VALUES (?, ?)', zero);
  },
};

/** wallet: deducts the amount, refusing when the balance is short. */
export const walletResource: ShopResource = {
  name: 'wallet',
  async apply(tx, c) {
    const changed = await tx.exec(
      'UPDATE wallet SET balance = balance - ? WHERE customer = ? AND balance >= ?',
      [c.amount, c.customer, c.amount],
    );
    if (changed === 0) {
      throw new BusinessFailure(`insufficient balance of ${c.customer} for ${c.amount}`, {
        customer: c.customer,
      });
    }
  },
  async undo(tx, c) {
    await tx.exec('UPDATE wallet SET balance = balance + ? WHERE customer = ?', [
      c.amount,
      c.customer,
    ]);
  },
  async seed(sql, seed) {
    await insertEach(sql, 'INSERT INTO wallet (customer, balance) VALUES (?, ?)', seed.wallets);
  },
};

/** The four resources by name. */
export const SHOP_RESOURCES: Readonly<Record<ResourceName, ShopResource>> = {
  stock: stockResource,
  order: orderResource,
  points: pointsResource,
  wallet: walletResource,
};
