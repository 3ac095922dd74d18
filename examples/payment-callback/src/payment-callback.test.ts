import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signPayload } from '@accord/client/participant';
import { isAccordError } from '@accord/client';
import { tempDir, waitFor } from '@accord/testkit';
import { notificationIdOf } from './payment-notice.js';
import type { PaymentNotice } from './payment-notice.js';
import type { PaymentWorld } from './payment-world.js';
import { startPaymentWorld } from './payment-world.js';

const SCHEDULE = [100, 200, 400, 800];

describe('payment callback: best-effort notification to merchants', () => {
  const dir = tempDir('accord-payment-callback-');
  let world: PaymentWorld;

  before(async () => {
    world = await startPaymentWorld({
      dir: dir.path,
      schedule: SCHEDULE,
      merchants: [
        { id: 'shop', faults: { failFirst: 3, loseAcks: 1 } },
        { id: 'kiosk', faults: { failFirst: Number.POSITIVE_INFINITY } },
        { id: 'cafe' },
      ],
    });
  });
  after(async () => {
    await world?.close();
    dir.remove();
  });

  /** Opens a payment for a new order at `merchant` and completes it. */
  async function pay(merchant: string, orderId: string, amount: number) {
    const { paymentId } = await world.merchant(merchant).checkout(orderId, amount);
    const res = await fetch(`${world.payments.url}/payments/${paymentId}/complete`, {
      method: 'POST',
    });
    await res.text();
    return { paymentId, id: notificationIdOf(paymentId), status: res.status };
  }

  /** Waits until the notification is no longer pending, and returns the query answer. */
  async function settled(id: string) {
    return waitFor(
      async () => {
        const answer = await world.accord.notification(id);
        return answer.notification.status === 'pending' ? null : answer;
      },
      { timeoutMs: 15_000, what: `notification ${id} to settle` },
    );
  }

  /** Milliseconds between the starts of consecutive attempts. */
  function gaps(history: ReadonlyArray<{ startedAt: string }>): number[] {
    const starts = history.map((h) => Date.parse(h.startedAt)).sort((a, b) => a - b);
    return starts.slice(1).map((t, i) => t - starts[i]!);
  }

  it('redelivers on the schedule until acknowledged; the merchant applies the payment once', async () => {
    const { paymentId, id, status } = await pay('shop', 'shop-1', 1999);
    assert.equal(status, 200);
    const { notification, history } = await settled(id);

    assert.equal(notification.status, 'succeeded');
    assert.equal(notification.attempts, 5, '3 refusals, 1 lost ack, then the acknowledgement');
    assert.deepEqual(
      history.map((h) => [h.outcome, h.httpStatus]),
      [
        ['error', 503],
        ['error', 503],
        ['error', 503],
        ['error', 500],
        ['success', 200],
      ],
    );
    for (const [i, gap] of gaps(history).entries()) {
      assert.ok(gap >= SCHEDULE[i]!, `gap ${i + 1} is ${gap} ms, schedule says ${SCHEDULE[i]}`);
    }

    const shop = world.merchant('shop');
    const order = shop.store.order('shop-1');
    assert.equal(order?.status, 'paid');
    assert.equal(order.paidAmount, 1999, 'applied exactly once');
    assert.deepEqual(
      shop.store.inbox().map((e) => [e.paymentId, e.via]),
      [[paymentId, 'callback']],
    );
    assert.deepEqual(
      { ...shop.stats },
      { received: 5, rejected: 0, refused: 3, applied: 1, duplicates: 1, lostAcks: 1 },
    );
    assert.notEqual(world.payments.store.get(paymentId)?.notifiedAt, null);
  });

  it('fails after the schedule when never acknowledged; the merchant reconciles by query', async () => {
    const { paymentId, id } = await pay('kiosk', 'kiosk-1', 4500);
    const { notification, history } = await settled(id);

    assert.equal(notification.status, 'failed');
    assert.equal(notification.attempts, SCHEDULE.length + 1);
    assert.equal(history.length, SCHEDULE.length + 1);
    assert.ok(history.every((h) => h.httpStatus === 503));
    for (const [i, gap] of gaps(history).entries()) {
      assert.ok(gap >= SCHEDULE[i]!, `gap ${i + 1} is ${gap} ms, schedule says ${SCHEDULE[i]}`);
    }
    const kiosk = world.merchant('kiosk');
    assert.equal(kiosk.stats.received, SCHEDULE.length + 1);
    assert.equal(kiosk.store.order('kiosk-1')?.status, 'unpaid');
    await waitFor(
      () => world.payments.store.alerts().find((a) => a.gid === id && a.kind === 'failed'),
      {
        what: 'the failure alert at the payment platform',
      },
    );

    const entries = await kiosk.reconcile({ olderThanMs: 0 });
    assert.deepEqual(entries, [
      {
        orderId: 'kiosk-1',
        paymentId,
        notificationId: id,
        status: 'failed',
        attempts: SCHEDULE.length + 1,
        outcome: 'applied',
      },
    ]);
    const order = kiosk.store.order('kiosk-1');
    assert.equal(order?.status, 'paid');
    assert.equal(order.paidAmount, 4500);
    assert.deepEqual(
      kiosk.store.inbox().map((e) => e.via),
      ['reconcile'],
    );
    assert.deepEqual(await kiosk.reconcile({ olderThanMs: 0 }), [], 'nothing left unpaid');
  });

  it('refuses a callback whose signature is wrong or missing', async () => {
    const cafe = world.merchant('cafe');
    const { paymentId } = await cafe.checkout('cafe-1', 350);
    const notice: PaymentNotice = { paymentId, orderId: 'cafe-1', amount: 350, status: 'paid' };
    const body = JSON.stringify(notice);
    const call = {
      gid: notificationIdOf(paymentId),
      branchId: 'notify',
      op: 'action',
      mode: 'notify',
    };
    const send = (signature: string | null) =>
      fetch(cafe.callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'accord-gid': notificationIdOf(paymentId),
          'accord-branch': 'notify',
          'accord-op': 'action',
          'accord-mode': 'notify',
          ...(signature !== null && { 'accord-signature': signature }),
        },
        body,
      });

    assert.equal((await send(signPayload('not-the-secret', call, body))).status, 401);
    assert.equal((await send(null)).status, 401);
    // A genuine signature of another call (here: another op) does not carry over.
    assert.equal(
      (await send(signPayload(world.secret, { ...call, op: 'check' }, body))).status,
      401,
    );
    assert.equal(cafe.store.order('cafe-1')?.status, 'unpaid');
    assert.equal(cafe.stats.rejected, 3);

    // The same request signed with the coordinator's secret is accepted.
    const ok = await send(signPayload(world.secret, call, body));
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'success');
    assert.equal(cafe.store.order('cafe-1')?.paidAmount, 350);
  });

  it('a crash between the local commit and notify is closed by the startup sweep', async () => {
    const cafe = world.merchant('cafe');
    world.payments.faults.crashesBeforeNotify = 1;
    const { paymentId, id, status } = await pay('cafe', 'cafe-2', 820);
    assert.equal(status, 500);
    assert.equal(world.payments.store.get(paymentId)?.status, 'paid');
    assert.equal(world.payments.store.get(paymentId)?.notifiedAt, null);
    await assert.rejects(
      world.accord.notification(id),
      (error) => isAccordError(error) && error.code === 'TRANSACTION_NOT_FOUND',
    );

    const restarted = await world.restartPayments();
    assert.deepEqual(restarted.startupSweep, { notified: [id], failed: [] });
    const { notification } = await settled(id);
    assert.equal(notification.status, 'succeeded');
    assert.equal(notification.attempts, 1);
    assert.equal(cafe.store.order('cafe-2')?.paidAmount, 820);
    assert.notEqual(restarted.store.get(paymentId)?.notifiedAt, null);
    // Sweeping again hands nothing over: the payment is marked notified.
    assert.deepEqual(await restarted.sweep(), { notified: [], failed: [] });
  });
});
