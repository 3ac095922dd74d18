/**
 * What a checkout is: one order of one product by one customer, touching four services
 * (stock, order, points, wallet), and how it ended.
 */
import { BusinessFailure } from '@accord/client';

/** The four services of a checkout, each with its own database. */
export type ResourceName = 'stock' | 'order' | 'points' | 'wallet';

/** Every resource, in a fixed order (also the lock order of an XA checkout). */
export const RESOURCES: readonly ResourceName[] = ['order', 'points', 'wallet', 'stock'];

/** Loyalty points granted for each paid order, whatever its amount. */
export const POINTS_PER_ORDER = 10;

/**
 * One checkout: the payload every branch of it receives, each service reading the fields
 * it needs.
 *
 * @example
 * const checkout: Checkout = { orderId: 'o-1', customer: 'ada', sku: 'tea', qty: 2, amount: 60 };
 */
export interface Checkout {
  /** Unique per order; also names the transaction (`saga-<orderId>`, `xa-<orderId>`). */
  readonly orderId: string;
  readonly customer: string;
  readonly sku: string;
  /** Units bought, at least 1. */
  readonly qty: number;
  /** Price paid from the wallet, at least 0. */
  readonly amount: number;
}

/** How a checkout ended. */
export interface CheckoutOutcome {
  readonly orderId: string;
  /** The transaction's gid. */
  readonly gid: string;
  /** `paid`: every service applied it; `refused`: a service said no and nothing stays. */
  readonly outcome: 'paid' | 'refused';
  /** Why it was refused (the refusing service's message), else null. */
  readonly reason: string | null;
}

/** The same characters as a gid, bounded so that `xa-<orderId>` fits a MySQL xid. */
const ID = /^[A-Za-z0-9._:-]{1,48}$/;

function isCount(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}

/**
 * Reads a checkout from a request body. An invalid one is refused with
 * `BusinessFailure`: retrying a malformed order cannot make it valid.
 *
 * @example
 * parseCheckout({ orderId: 'o-1', customer: 'ada', sku: 'tea', qty: 1, amount: 30 });
 */
export function parseCheckout(body: unknown): Checkout {
  const c = (typeof body === 'object' && body !== null ? body : {}) as Partial<
    Record<keyof Checkout, unknown>
  >;
  const problems: string[] = [];
  for (const field of ['orderId', 'customer', 'sku'] as const) {
    const value = c[field];
    if (typeof value !== 'string' || !ID.test(value)) {
      problems.push(`${field} must be 1-48 characters of A-Z a-z 0-9 . _ : -`);
    }
  }
  if (!isCount(c.qty, 1)) problems.push('qty must be an integer >= 1');
  if (!isCount(c.amount, 0)) problems.push('amount must be an integer >= 0');
  if (problems.length > 0) {
    throw new BusinessFailure(`invalid checkout: ${problems.join('; ')}`, { problems });
  }
  return {
    orderId: c.orderId as string,
    customer: c.customer as string,
    sku: c.sku as string,
    qty: c.qty as number,
    amount: c.amount as number,
  };
}
