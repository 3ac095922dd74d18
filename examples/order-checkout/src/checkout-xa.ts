/**
 * Checkout as an XA transaction: each service runs its part as a local transaction left
 * prepared in its own database; the coordinator then commits all four, or rolls back
 * every prepared one when a service refused.
 */
import type { AccordClient, TransactionOptionsInput, XaBranch } from '@accord/client';
import { BusinessFailure } from '@accord/client';
import type { Checkout, CheckoutOutcome } from './checkout.js';
import { RESOURCES } from './checkout.js';
import type { ShopUrls } from './shop-urls.js';
import { routeOf } from './shop-urls.js';

/** The gid of a checkout's XA transaction. */
export function xaGid(checkout: Checkout): string {
  return `xa-${checkout.orderId}`;
}

/**
 * The four branches in the order the client runs them: order, points, wallet, stock.
 * One order for every checkout matters: a prepared branch keeps its row locks until
 * phase two, so two checkouts locking shared rows in different orders could wait on each
 * other across databases, where no deadlock detector sees it.
 *
 * @example
 * for (const branch of checkoutXaBranches(urls, checkout)) await xa.branch(branch);
 */
export function checkoutXaBranches(urls: ShopUrls, checkout: Checkout): XaBranch<Checkout>[] {
  return RESOURCES.map((resource) => ({
    branchId: resource,
    local: routeOf(urls, resource, 'xaLocal'),
    commit: routeOf(urls, resource, 'xaPhaseTwo'),
    rollback: routeOf(urls, resource, 'xaPhaseTwo'),
    payload: checkout,
  }));
}

/** Options of {@link checkoutXa}. */
export interface CheckoutXaOptions {
  /** Transaction options; `timeoutMs` bounds how long branches may stay prepared. */
  readonly options?: TransactionOptionsInput;
}

/**
 * Runs one checkout as an XA transaction. Resolves to `paid` once every branch is
 * committed; to `refused` when a service refused its local work, after the client has
 * aborted the transaction (the coordinator then rolls back the prepared branches on its
 * own; query the gid to see it finish). Other errors are thrown.
 *
 * @example
 * const outcome = await checkoutXa(world.accord, world.urls, checkout);
 */
export async function checkoutXa(
  accord: Pick<AccordClient, 'xa'>,
  urls: ShopUrls,
  checkout: Checkout,
  options: CheckoutXaOptions = {},
): Promise<CheckoutOutcome> {
  const gid = xaGid(checkout);
  try {
    const { transaction } = await accord.xa(
      async (xa) => {
        for (const branch of checkoutXaBranches(urls, checkout)) await xa.branch(branch);
      },
      { gid, waitResult: true, ...(options.options && { options: options.options }) },
    );
    if (transaction.status !== 'succeeded') {
      throw new Error(
        `checkout ${gid} is still ${transaction.status} after the coordinator's wait`,
      );
    }
    return { orderId: checkout.orderId, gid, outcome: 'paid', reason: null };
  } catch (error) {
    if (!(error instanceof BusinessFailure)) throw error;
    return { orderId: checkout.orderId, gid, outcome: 'refused', reason: error.message };
  }
}
