/**
 * `npm run demo:payment-callback`: a payment platform tells two merchants their orders
 * were paid, through Accord's best-effort notifications. The shop fails its first three
 * callbacks and loses one acknowledgement; the kiosk never acknowledges, so its
 * notification fails and it reconciles by asking the coordinator; the platform crashes
 * once between committing a payment and handing its notification over, and its startup
 * sweep closes that gap. Prints every delivery timeline and exits 1 if a check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MerchantService } from './merchant-service.js';
import { notificationIdOf } from './payment-notice.js';
import type { PaymentWorld } from './payment-world.js';
import { startPaymentWorld } from './payment-world.js';

const SCHEDULE = [200, 400, 800, 1600];

type Query = Awaited<ReturnType<PaymentWorld['accord']['notification']>>;

async function complete(world: PaymentWorld, paymentId: string): Promise<number> {
  const res = await fetch(`${world.payments.url}/payments/${paymentId}/complete`, {
    method: 'POST',
  });
  await res.body?.cancel();
  return res.status;
}

/** Queries every notification until none is pending (or 30 s passed). */
async function settle(world: PaymentWorld, ids: readonly string[]): Promise<Map<string, Query>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answers = await Promise.all(ids.map((id) => world.accord.notification(id)));
    const open = answers.some((a) => a.notification.status === 'pending');
    if (!open || Date.now() > deadline) return new Map(ids.map((id, i) => [id, answers[i]!]));
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `503 +201ms 503 +402ms 200`: each attempt's HTTP status and the wait before the next. */
function timeline(history: Query['history']): { text: string; gaps: number[] } {
  const starts = history.map((h) => Date.parse(h.startedAt));
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
  const text = history
    .map((h, i) => `${h.httpStatus ?? 'net'}${i < gaps.length ? ` +${gaps[i]}ms` : ''}`)
    .join(' ');
  return { text, gaps };
}

function describeOrders(merchant: MerchantService): string[] {
  const inbox = merchant.store.inbox();
  return merchant.store.orders().map((o) => {
    const via = inbox.filter((e) => e.orderId === o.id).map((e) => e.via);
    return `  ${merchant.id.padEnd(6)} ${o.id.padEnd(10)} ${o.status.padEnd(7)} paid ${o.paidAmount} of ${o.amount} (applied ${via.length}x, via ${via.join(', ') || '-'})`;
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-payment-demo-'));
  const world = await startPaymentWorld({
    dir,
    schedule: SCHEDULE,
    pollIntervalMs: 20,
    logLevel: 'fatal',
    merchants: [
      { id: 'shop', faults: { failFirst: 3, loseAcks: 1 } },
      { id: 'kiosk', faults: { failFirst: Number.POSITIVE_INFINITY } },
    ],
  });
  const shop = world.merchant('shop');
  const kiosk = world.merchant('kiosk');
  console.log(
    `coordinator ${world.coordinator.url} (SQLite), payment platform ${world.payments.url}`,
  );
  console.log(`shop ${shop.url}: fails its first 3 callbacks, then loses one acknowledgement`);
  console.log(`kiosk ${kiosk.url}: its callback endpoint never acknowledges`);
  console.log(`redelivery schedule: ${SCHEDULE.join(', ')} ms\n`);

  const started = performance.now();
  const first = [await shop.checkout('shop-1001', 1999), await kiosk.checkout('kiosk-2001', 4500)];
  for (const o of first) await complete(world, o.paymentId);
  console.log(`paid ${first.map((o) => o.orderId).join(' and ')}: notifications handed to Accord`);
  await settle(
    world,
    first.map((o) => notificationIdOf(o.paymentId)),
  );

  // A crash between the local commit and notify: paid, but nobody was told.
  const crashed = await shop.checkout('shop-1002', 820);
  world.payments.faults.crashesBeforeNotify = 1;
  const crashStatus = await complete(world, crashed.paymentId);
  console.log(`paid shop-1002, then the platform "crashed" before notify (HTTP ${crashStatus})`);
  const restarted = await world.restartPayments();
  const swept = restarted.startupSweep.notified;
  console.log(`platform restarted; its startup sweep handed over ${swept.join(', ') || 'nothing'}`);

  const all = [...first, crashed];
  const ids = all.map((o) => notificationIdOf(o.paymentId));
  const answers = await settle(world, ids);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `\nevery notification settled after ${seconds} s (HTTP status +wait before the next):`,
  );
  let spacingOk = true;
  for (const [i, id] of ids.entries()) {
    const { notification, history } = answers.get(id)!;
    const { text, gaps } = timeline(history);
    spacingOk &&= gaps.every((gap, n) => gap >= SCHEDULE[n]!);
    console.log(
      `  ${all[i]!.orderId.padEnd(10)} ${id.padEnd(18)} ${notification.status.padEnd(9)} ${notification.attempts} attempt${notification.attempts === 1 ? '' : 's'}: ${text}`,
    );
  }

  const kioskId = notificationIdOf(first[1]!.paymentId);
  console.log(`\nkiosk reconciles its unpaid orders by asking the coordinator:`);
  const entries = await kiosk.reconcile({ olderThanMs: 0 });
  for (const e of entries) {
    console.log(
      `  ${e.orderId}: notification ${e.status} after ${e.attempts} attempts -> ${e.outcome}`,
    );
  }
  const alertDeadline = Date.now() + 10_000;
  while (
    !world.payments.store.alerts().some((a) => a.gid === kioskId) &&
    Date.now() < alertDeadline
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const a of world.payments.store.alerts()) {
    console.log(`platform operators alerted: ${a.gid} ${a.kind}: ${a.reason}`);
  }

  console.log('\nmerchant orders:');
  for (const line of [...describeOrders(shop), ...describeOrders(kiosk)]) console.log(line);
  console.log(
    `shop callbacks: ${shop.stats.received} received, ${shop.stats.refused} refused (503), ${shop.stats.lostAcks} ack lost, ${shop.stats.duplicates} duplicate acknowledged without effect`,
  );

  const status = (id: string) => answers.get(id)!.notification;
  const shopIds = ids.filter((id) => id !== kioskId);
  const everyOrder = [...shop.store.orders(), ...kiosk.store.orders()];
  const inbox = [...shop.store.inbox(), ...kiosk.store.inbox()];
  const checks: Array<[string, boolean]> = [
    [
      "every shop notification succeeded despite the shop's failures",
      shopIds.every((id) => status(id).status === 'succeeded'),
    ],
    [
      `the kiosk notification failed after ${SCHEDULE.length + 1} attempts (schedule + 1)`,
      status(kioskId).status === 'failed' && status(kioskId).attempts === SCHEDULE.length + 1,
    ],
    ['every redelivery waited at least its scheduled delay', spacingOk],
    [
      'the crashed payment was handed over by the startup sweep',
      swept.includes(notificationIdOf(crashed.paymentId)),
    ],
    [
      `every order paid exactly once (${everyOrder.length} orders, ${inbox.length} applied)`,
      everyOrder.every((o) => o.status === 'paid' && o.paidAmount === o.amount) &&
        inbox.length === everyOrder.length,
    ],
    ['the redelivery after the lost ack changed nothing', shop.stats.duplicates === 1],
    [
      'the kiosk applied its payment from the query',
      entries.some((e) => e.notificationId === kioskId && e.outcome === 'applied'),
    ],
    [
      'the platform was alerted of the failed notification',
      world.payments.store.alerts().some((a) => a.gid === kioskId && a.kind === 'failed'),
    ],
  ];
  console.log('');
  for (const [text, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);

  await world.close();
  rmSync(dir, { recursive: true, force: true });
  if (checks.some(([, ok]) => !ok)) process.exit(1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
