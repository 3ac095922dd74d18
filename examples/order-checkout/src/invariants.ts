/**
 * What must hold once every checkout has ended, whichever way: nothing sold without an
 * order, nothing paid without one, points exactly for the paid orders.
 */
import { POINTS_PER_ORDER } from './checkout.js';
import type { ShopSeed } from './resources.js';
import type { OrderRow, ShopSnapshot } from './shop-snapshot.js';

/** One checked statement. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** The numbers behind it, or what broke it. */
  readonly detail: string;
}

/** Sum of `value` over the placed (paid) orders, per key. */
function perKey(
  orders: readonly OrderRow[],
  key: (o: OrderRow) => string,
  value: (o: OrderRow) => number,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const o of orders) {
    if (o.status === 'placed') sums.set(key(o), (sums.get(key(o)) ?? 0) + value(o));
  }
  return sums;
}

/** Keys whose numbers break `holds`, as `key: text` lines; empty when it holds for all. */
function offenders(
  keys: Iterable<string>,
  holds: (key: string) => boolean,
  describe: (key: string) => string,
): string[] {
  return [...keys].filter((k) => !holds(k)).map((k) => `${k}: ${describe(k)}`);
}

function check(name: string, broken: string[], summary: string): Check {
  return {
    name,
    ok: broken.length === 0,
    detail: broken.length === 0 ? summary : broken.join('; '),
  };
}

/**
 * The invariants of the shop, given what it started with:
 * - stock + sold == initial, per sku (sold: units of placed orders);
 * - wallet + spent == initial, per customer (spent: amounts of placed orders);
 * - points == {@link POINTS_PER_ORDER} × placed orders, per customer;
 * - no row the seed does not know (every order names a seeded sku and customer).
 *
 * @example
 * const failed = checkInvariants(seed, await world.snapshot()).filter((c) => !c.ok);
 */
export function checkInvariants(seed: ShopSeed, snapshot: ShopSnapshot): Check[] {
  const sold = perKey(
    snapshot.orders,
    (o) => o.sku,
    (o) => o.qty,
  );
  const spent = perKey(
    snapshot.orders,
    (o) => o.customer,
    (o) => o.amount,
  );
  const paid = perKey(
    snapshot.orders,
    (o) => o.customer,
    () => 1,
  );
  const skus = Object.keys(seed.stock);
  const customers = Object.keys(seed.wallets);
  const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const initialStock = Object.values(seed.stock).reduce((a, b) => a + b, 0);
  const initialWallets = Object.values(seed.wallets).reduce((a, b) => a + b, 0);
  const paidOrders = total(paid);

  const stockOf = (sku: string) => snapshot.stock.get(sku) ?? Number.NaN;
  const walletOf = (c: string) => snapshot.wallets.get(c) ?? Number.NaN;
  const pointsOf = (c: string) => snapshot.points.get(c) ?? Number.NaN;
  const unknown = snapshot.orders
    .filter((o) => !(o.sku in seed.stock) || !(o.customer in seed.wallets))
    .map((o) => `order ${o.id}: unknown sku or customer`);

  return [
    check(
      'stock + sold == initial',
      offenders(
        skus,
        (s) => stockOf(s) + (sold.get(s) ?? 0) === seed.stock[s],
        (s) => `${stockOf(s)} + ${sold.get(s) ?? 0} != ${seed.stock[s]}`,
      ),
      `${total(snapshot.stock)} + ${total(sold)} == ${initialStock}`,
    ),
    check(
      'wallet + spent == initial',
      offenders(
        customers,
        (c) => walletOf(c) + (spent.get(c) ?? 0) === seed.wallets[c],
        (c) => `${walletOf(c)} + ${spent.get(c) ?? 0} != ${seed.wallets[c]}`,
      ),
      `${total(snapshot.wallets)} + ${total(spent)} == ${initialWallets}`,
    ),
    check(
      `points == ${POINTS_PER_ORDER} × paid orders`,
      offenders(
        customers,
        (c) => pointsOf(c) === POINTS_PER_ORDER * (paid.get(c) ?? 0),
        (c) => `${pointsOf(c)} != ${POINTS_PER_ORDER} × ${paid.get(c) ?? 0}`,
      ),
      `${total(snapshot.points)} == ${POINTS_PER_ORDER} × ${paidOrders}`,
    ),
    check(
      'every order names a known sku and customer',
      unknown,
      `${snapshot.orders.length} orders`,
    ),
  ];
}
