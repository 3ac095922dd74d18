/**
 * A batch of checkouts whose outcome is known in advance however they interleave: some
 * refused for stock, some for balance, the rest paid. Used by the demo and the tests.
 */
import type { Checkout } from './checkout.js';
import type { ShopSeed } from './resources.js';

/** Options of {@link checkoutMix}. */
export interface CheckoutMixOptions {
  /** Prefix of every sku, customer and order id of the batch (keeps batches apart). */
  readonly prefix: string;
  /** How many checkouts, at least 8. */
  readonly count: number;
  /** Added to order ids (and so gids), unique per run. */
  readonly runTag: string;
}

/** A batch, what it needs in the shop, and how it must end. */
export interface CheckoutMix {
  readonly checkouts: readonly Checkout[];
  /** Inventory and wallets the batch needs. */
  readonly seed: ShopSeed;
  readonly expected: {
    readonly paid: number;
    readonly refusedForStock: number;
    readonly refusedForBalance: number;
  };
  /** The scarce sku and the customer with too little money, for reports. */
  readonly rareSku: string;
  readonly poorCustomer: string;
}

const RARE_PRICE = 50;
const TEA_PRICE = 30;
const POOR_ORDERS = 4;
const POOR_PRICE = 40;
/** Enough for two of the poor customer's orders, not three. */
const POOR_BALANCE = 100;
const RICH_BALANCE = 1_000;

/**
 * Builds the batch: about 40% of the checkouts want one unit each of a rare sku that has
 * a third too few units; one customer tries {@link POOR_ORDERS} orders of 40 with 100 in
 * the wallet; everyone else buys tea, of which there is plenty. Rare buyers always have
 * the money and the poor customer only buys tea, so no refusal depends on another
 * checkout's compensation: exactly `expected` comes out, in any interleaving.
 *
 * @example
 * const mix = checkoutMix({ prefix: 'saga', count: 20, runTag: 'a1b2c3' });
 * mix.expected; // { paid: 16, refusedForStock: 2, refusedForBalance: 2 }
 */
export function checkoutMix(options: CheckoutMixOptions): CheckoutMix {
  const { prefix, count, runTag } = options;
  if (!Number.isInteger(count) || count < 8) throw new Error('a checkout mix needs count >= 8');
  const rareBuyers = Math.round(count * 0.4);
  const refusedForStock = Math.floor(rareBuyers / 3);
  const teaBuyers = count - rareBuyers - POOR_ORDERS;
  const rareSku = `${prefix}-rare`;
  const tea = `${prefix}-tea`;
  const poorCustomer = `${prefix}-poor`;
  const rich = (i: number) => `${prefix}-c${String(i).padStart(2, '0')}`;
  const orderId = (i: number) => `${prefix}-${runTag}-${String(i).padStart(2, '0')}`;

  const checkouts: Checkout[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i < rareBuyers) {
      checkouts.push({
        orderId: orderId(i),
        customer: rich(i),
        sku: rareSku,
        qty: 1,
        amount: RARE_PRICE,
      });
    } else if (i < rareBuyers + POOR_ORDERS) {
      checkouts.push({
        orderId: orderId(i),
        customer: poorCustomer,
        sku: tea,
        qty: 1,
        amount: POOR_PRICE,
      });
    } else {
      const qty = 1 + (i % 3);
      checkouts.push({
        orderId: orderId(i),
        customer: rich(i),
        sku: tea,
        qty,
        amount: qty * TEA_PRICE,
      });
    }
  }
  const wallets: Record<string, number> = { [poorCustomer]: POOR_BALANCE };
  for (const c of checkouts) if (c.customer !== poorCustomer) wallets[c.customer] = RICH_BALANCE;
  const refusedForBalance = POOR_ORDERS - Math.floor(POOR_BALANCE / POOR_PRICE);
  return {
    checkouts,
    seed: {
      stock: { [rareSku]: rareBuyers - refusedForStock, [tea]: 10 * (teaBuyers + POOR_ORDERS) * 3 },
      wallets,
    },
    expected: {
      paid: count - refusedForStock - refusedForBalance,
      refusedForStock,
      refusedForBalance,
    },
    rareSku,
    poorCustomer,
  };
}

/**
 * Several seeds in one (later keys win).
 *
 * @example
 * const seed = mergeSeeds(base, sagaMix.seed, xaMix.seed);
 */
export function mergeSeeds(...seeds: readonly ShopSeed[]): ShopSeed {
  return {
    stock: Object.assign({}, ...seeds.map((s) => s.stock)) as Record<string, number>,
    wallets: Object.assign({}, ...seeds.map((s) => s.wallets)) as Record<string, number>,
  };
}
