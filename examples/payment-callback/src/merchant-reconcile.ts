/**
 * The merchant's side of "you can always ask": for orders still unpaid after a while, it
 * queries the coordinator for the payment's notification instead of waiting for the
 * callback, and applies what it finds.
 */
import type { AccordClient } from '@accord/client';
import { isAccordError } from '@accord/client';
import type { ApplyOutcome, MerchantStore } from './merchant-store.js';
import { isPaymentNotice, notificationIdOf } from './payment-notice.js';

/** The part of the coordinator client reconciliation uses. */
export type NotificationQueryClient = Pick<AccordClient, 'notification'>;

/** Options of {@link reconcileOrders}. */
export interface ReconcileOptions {
  /** Only orders created at least this long ago, ms (default 60000). */
  readonly olderThanMs?: number;
  /** The current time, ms since the epoch (default `Date.now()`). */
  readonly now?: number;
}

/** What reconciliation found and did for one order. */
export interface ReconcileEntry {
  readonly orderId: string;
  readonly paymentId: string;
  readonly notificationId: string;
  /**
   * The notification's status on the coordinator; `not-found` when there is none (not
   * paid yet, or paid and not handed over yet), `error` when the query failed.
   */
  readonly status: 'pending' | 'succeeded' | 'failed' | 'not-found' | 'error';
  /** Deliveries the coordinator attempted so far. */
  readonly attempts: number;
  /** `applied` or `duplicate` when the payload was applied; else `not-applied`. */
  readonly outcome: ApplyOutcome | 'not-applied';
  readonly message?: string;
}

/**
 * Queries the notification of every order still unpaid after `olderThanMs` and applies
 * its payload, whatever the delivery status: a notification exists only for a paid
 * payment, and a `failed` one (the callbacks never got through) still carries its
 * payload. Applying is idempotent, so racing a late callback is harmless.
 *
 * @example
 * for (const e of await reconcileOrders(store, accord, { olderThanMs: 300_000 })) {
 *   console.log(e.orderId, e.status, e.outcome);
 * }
 */
export async function reconcileOrders(
  store: MerchantStore,
  accord: NotificationQueryClient,
  options: ReconcileOptions = {},
): Promise<ReconcileEntry[]> {
  const { olderThanMs = 60_000, now = Date.now() } = options;
  const entries: ReconcileEntry[] = [];
  for (const order of store.unpaidOrders(now - olderThanMs)) {
    const paymentId = order.paymentId ?? '';
    const base = { orderId: order.id, paymentId, notificationId: notificationIdOf(paymentId) };
    let found;
    try {
      found = (await accord.notification(base.notificationId)).notification;
    } catch (error) {
      const missing = isAccordError(error) && error.code === 'TRANSACTION_NOT_FOUND';
      const message = error instanceof Error ? error.message : String(error);
      entries.push({
        ...base,
        status: missing ? 'not-found' : 'error',
        attempts: 0,
        outcome: 'not-applied',
        ...(!missing && { message }),
      });
      continue;
    }
    const entry = { ...base, status: found.status, attempts: found.attempts };
    if (!isPaymentNotice(found.payload) || found.payload.paymentId !== paymentId) {
      entries.push({ ...entry, outcome: 'not-applied', message: 'payload is not this payment' });
      continue;
    }
    try {
      const outcome = store.applyPayment(base.notificationId, found.payload, 'reconcile');
      entries.push({ ...entry, outcome });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      entries.push({ ...entry, outcome: 'not-applied', message });
    }
  }
  return entries;
}
