/** The state of the four services' databases, read at one moment, for checks and reports. */
import type { ResourceName } from './checkout.js';
import type { ShopDatabase } from './shop-database.js';

/** One row of the order service. */
export interface OrderRow {
  readonly id: string;
  readonly customer: string;
  readonly sku: string;
  readonly qty: number;
  readonly amount: number;
  readonly status: 'placed' | 'cancelled';
}

/** Everything the checks look at. */
export interface ShopSnapshot {
  /** Units available per sku. */
  readonly stock: ReadonlyMap<string, number>;
  /** Wallet balance per customer. */
  readonly wallets: ReadonlyMap<string, number>;
  /** Points per customer. */
  readonly points: ReadonlyMap<string, number>;
  /** Every order row, cancelled ones included, by id. */
  readonly orders: readonly OrderRow[];
}

type Row = Record<string, unknown>;

/** Both drivers may return big integers and sums as strings. */
function numberMap(rows: Row[], key: string, value: string): Map<string, number> {
  return new Map(rows.map((r) => [String(r[key]), Number(r[value])]));
}

/**
 * Reads every service's tables (the committed state: prepared XA work is not visible).
 *
 * @example
 * const { stock } = await readSnapshot(dbs);
 * console.log(stock.get('tea'));
 */
export async function readSnapshot(
  dbs: Readonly<Record<ResourceName, ShopDatabase>>,
): Promise<ShopSnapshot> {
  const [stock, wallets, points, orders] = await Promise.all([
    dbs.stock.sql.rows<Row>('SELECT sku, available FROM stock'),
    dbs.wallet.sql.rows<Row>('SELECT customer, balance FROM wallet'),
    dbs.points.sql.rows<Row>('SELECT customer, balance FROM points'),
    dbs.order.sql.rows<Row>(
      'SELECT id, customer, sku, qty, amount, status FROM orders ORDER BY id',
    ),
  ]);
  return {
    stock: numberMap(stock, 'sku', 'available'),
    wallets: numberMap(wallets, 'customer', 'balance'),
    points: numberMap(points, 'customer', 'balance'),
    orders: orders.map((r) => ({
      id: String(r['id']),
      customer: String(r['customer']),
      sku: String(r['sku']),
      qty: Number(r['qty']),
      amount: Number(r['amount']),
      status: r['status'] === 'placed' ? 'placed' : 'cancelled',
    })),
  };
}
