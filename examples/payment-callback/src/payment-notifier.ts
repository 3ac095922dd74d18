/**
 * Handing paid payments to the coordinator as best-effort notifications, and the sweep
 * that hands over those a crash left behind.
 */
import type { AccordClient } from '@accord/client';
import type { NotifySchedulePreset } from '@accord/client';
import { isAccordError } from '@accord/client';
import type { PaymentNotice } from './payment-notice.js';
import { notificationIdOf, PAYMENT_ACK } from './payment-notice.js';
import type { Payment, PaymentStore } from './payment-store.js';

/** The body of `accord.notify()`. */
export type NotificationRequest = Parameters<AccordClient['notify']>[0];

/** The part of the coordinator client the notifier uses. */
export type NotifierClient = Pick<AccordClient, 'notify'>;

/** A schedule preset name or the delays (ms) before each redelivery. */
export type NotifySchedule = NotifySchedulePreset | number[];

/** What one sweep did. */
export interface SweepResult {
  /** Notification ids handed over (or found already there). */
  readonly notified: string[];
  /** Payments still not handed over (the coordinator could not be reached): next sweep. */
  readonly failed: Array<{ readonly paymentId: string; readonly message: string }>;
}

/**
 * The notification of a paid payment. Every field is derived from the payment row and the
 * service's settings, so building it again later gives the same request: the coordinator
 * treats the repeat as the same notification instead of a conflict.
 *
 * @example
 * await accord.notify(paymentNotification(payment, 'https://shop.example/callbacks/payment', 'wechat'));
 */
export function paymentNotification(
  payment: Payment,
  callbackUrl: string,
  schedule: NotifySchedule,
): NotificationRequest {
  const payload: PaymentNotice = {
    paymentId: payment.id,
    orderId: payment.orderId,
    amount: payment.amount,
    status: 'paid',
  };
  return {
    id: notificationIdOf(payment.id),
    url: callbackUrl,
    payload,
    schedule,
    ackBody: PAYMENT_ACK,
  };
}

/** Settings of a {@link PaymentNotifier}. */
export interface PaymentNotifierOptions {
  readonly store: PaymentStore;
  readonly accord: NotifierClient;
  /** Merchant id → the URL its payment callbacks go to. */
  readonly merchants: Readonly<Record<string, string>>;
  readonly schedule: NotifySchedule;
}

/** Hands payments' notifications to the coordinator and records that it accepted them. */
export class PaymentNotifier {
  constructor(private readonly options: PaymentNotifierOptions) {}

  /**
   * Hands one paid payment's notification over, then marks the payment notified. Throws
   * when the coordinator cannot be reached; the payment then stays for the next sweep.
   */
  async notify(payment: Payment): Promise<string> {
    const { store, accord, merchants, schedule } = this.options;
    const url = merchants[payment.merchantId];
    if (url === undefined) throw new Error(`no callback URL for merchant ${payment.merchantId}`);
    const request = paymentNotification(payment, url, schedule);
    try {
      await accord.notify(request);
    } catch (error) {
      // The id is taken by a notification with another body (the merchant's URL changed
      // since): the coordinator has this payment's notification, which is what counts.
      if (!isAccordError(error) || error.code !== 'GID_CONFLICT') throw error;
    }
    store.markNotified(payment.id);
    return notificationIdOf(payment.id);
  }

  /**
   * Hands over every paid payment not yet marked notified: the ones a crash (or an
   * unreachable coordinator) caught between the local commit and `notify`. Safe to run
   * at any time and from several places: the notification id is the payment's, so a
   * notification the coordinator already has is not created twice.
   */
  async sweep(): Promise<SweepResult> {
    const result: SweepResult = { notified: [], failed: [] };
    for (const payment of this.options.store.paidNotNotified()) {
      try {
        result.notified.push(await this.notify(payment));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.failed.push({ paymentId: payment.id, message });
      }
    }
    return result;
  }
}
