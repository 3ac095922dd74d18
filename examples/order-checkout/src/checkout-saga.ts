/**
 * Checkout as a saga whose steps run concurrently: every service applies its part in its
 * own local transaction, and when one refuses, the coordinator compensates the others.
 */
import type { AccordClient, SagaStep, TransactionOptionsInput } from '@accord/client';
import type { Checkout, CheckoutOutcome, ResourceName } from './checkout.js';
import { RESOURCES } from './checkout.js';
import type { ShopUrls } from './shop-urls.js';
import { routeOf } from './shop-urls.js';

/**
 * How the steps are arranged:
 * - `order-first`: the order row first, then stock, points and wallet at once (a DAG);
 * - `concurrent`: all four at once (`options.concurrent`).
 */
export type SagaLayout = 'order-first' | 'concurrent';

/** Options of {@link checkoutSaga}. */
export interface CheckoutSagaOptions {
  /** Default `order-first`. */
  readonly layout?: SagaLayout;
  /** Transaction options (timeouts, retry). */
  readonly options?: TransactionOptionsInput;
}

/** The gid of a checkout's saga. */
export function sagaGid(checkout: Checkout): string {
  return `saga-${checkout.orderId}`;
}

/**
 * The saga's steps, one per service (the step id is the service's name), each with its
 * compensation, all carrying the whole checkout.
 *
 * @example
 * checkoutSagaSteps(urls, checkout, 'order-first').map((s) => [s.id, s.dependsOn]);
 * // [['order', undefined], ['points', ['order']], ['wallet', ['order']], ['stock', ['order']]]
 */
export function checkoutSagaSteps(
  urls: ShopUrls,
  checkout: Checkout,
  layout: SagaLayout = 'order-first',
): SagaStep<Checkout>[] {
  return RESOURCES.map((resource: ResourceName) => ({
    id: resource,
    action: routeOf(urls, resource, 'sagaApply'),
    compensate: routeOf(urls, resource, 'sagaUndo'),
    payload: checkout,
    ...(layout === 'order-first' && resource !== 'order' && { dependsOn: ['order'] }),
  }));
}

/**
 * Runs one checkout as a saga and waits for its end. A refusal (insufficient stock or
 * balance) resolves to `refused` once every step that ran has been compensated; a saga
 * still running when the coordinator's wait ends throws.
 *
 * @example
 * const outcome = await checkoutSaga(world.accord, world.urls, checkout);
 * if (outcome.outcome === 'refused') console.log(outcome.reason);
 */
export async function checkoutSaga(
  accord: Pick<AccordClient, 'saga'>,
  urls: ShopUrls,
  checkout: Checkout,
  options: CheckoutSagaOptions = {},
): Promise<CheckoutOutcome> {
  const layout = options.layout ?? 'order-first';
  const gid = sagaGid(checkout);
  const saga = accord.saga({
    gid,
    options: { ...options.options, ...(layout === 'concurrent' && { concurrent: true }) },
  });
  for (const step of checkoutSagaSteps(urls, checkout, layout)) saga.step(step);
  const tx = await saga.submit({ waitResult: true });
  if (tx.status === 'succeeded') {
    return { orderId: checkout.orderId, gid, outcome: 'paid', reason: null };
  }
  if (tx.status === 'failed') {
    return { orderId: checkout.orderId, gid, outcome: 'refused', reason: tx.reason };
  }
  throw new Error(`checkout saga ${gid} is still ${tx.status} after the coordinator's wait`);
}
