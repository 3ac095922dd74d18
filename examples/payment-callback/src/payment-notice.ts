/**
 * The message both sides agree on: what the payment platform tells a merchant when one of
 * its orders was paid, and how that notification is named on the coordinator.
 */

/** The payload of a payment notification. */
export interface PaymentNotice {
  readonly paymentId: string;
  readonly orderId: string;
  /** In the smallest currency unit (cents). */
  readonly amount: number;
  readonly status: 'paid';
}

/** The body a merchant answers to acknowledge a notification. */
export const PAYMENT_ACK = 'success';

/**
 * The notification id of a payment. Derived from the payment, never random: handing the
 * same payment to the coordinator twice names the same notification, so the second hand-
 * over is a no-op, and a merchant that knows its payment id can query the notification.
 *
 * @example
 * notificationIdOf('p_7f3a'); // 'pay-p_7f3a'
 */
export function notificationIdOf(paymentId: string): string {
  return `pay-${paymentId}`;
}

/** True when `value` has the shape of a {@link PaymentNotice}. */
export function isPaymentNotice(value: unknown): value is PaymentNotice {
  const v = value as Partial<PaymentNotice> | null | undefined;
  return (
    typeof v?.paymentId === 'string' &&
    typeof v.orderId === 'string' &&
    Number.isInteger(v.amount) &&
    (v.amount ?? 0) > 0 &&
    v.status === 'paid'
  );
}
