/**
 * `npm run demo:power-bank-rental`: a business reservation with a delayed check. A kiosk
 * and an order service, each with its own SQLite database, and a coordinator. Four
 * stories, each printed and checked: a rental that completes; a payment declined, so the
 * check frees the slot; an eject report lost on the way, caught by the order service's own
 * check asking the kiosk; an order that never appears, so the slot is freed after a grace.
 * Exits 1 if a check fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccordClient } from '@accord/client';
import { loadConfig, startServer } from '@accord/server';
import { callJson } from './http-helpers.js';
import { startKiosk, type KioskService } from './kiosk-service.js';
import { startOrders, type OrderService } from './order-service.js';

const failures: string[] = [];

function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? '✓' : '✗'} ${what}`);
  if (!ok) failures.push(what);
}

/** Polls `ok` until it holds or `timeoutMs` passes (checks fall due after their holds). */
async function eventually(ok: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

async function stories(kiosk: KioskService, orders: OrderService): Promise<void> {
  const rent = (slot: string, orderId: string) =>
    callJson(`${kiosk.url}/rentals`, { method: 'POST', body: { slot, orderId } });
  const order = (id: string, slot: string, paid: boolean) =>
    callJson(`${orders.url}/orders`, { method: 'POST', body: { id, slot, paid } });

  console.log('1. a rental that completes');
  check((await rent('s1', 'o1')).status === 201, 'slot s1 is held, pending rental');
  check((await rent('s1', 'o9')).status === 409, 'nobody else can take s1 meanwhile');
  await order('o1', 's1', true);
  check(await eventually(() => kiosk.slotState('s1') === 'rented'), 'the check ejects s1');
  check(
    await eventually(() => orders.orderState('o1') === 'active'),
    'the eject report makes order o1 active',
  );

  console.log('2. the payment is declined, so the order rolls back');
  await rent('s2', 'o2');
  await order('o2', 's2', false);
  check(await eventually(() => kiosk.slotState('s2') === 'free'), 'the check frees s2');

  console.log('3. the eject report is lost on the way');
  kiosk.loseReports = true;
  await rent('s3', 'o3');
  await order('o3', 's3', true);
  check(await eventually(() => kiosk.slotState('s3') === 'rented'), 'the kiosk ejects s3');
  check(
    await eventually(() => orders.orderState('o3') === 'active'),
    'order o3 turns active anyway: its own check asked the kiosk',
  );
  check(!orders.reports.includes('o3'), 'no report for o3 ever arrived');
  kiosk.loseReports = false;

  console.log('4. the order is never created');
  await rent('s4', 'o4');
  check(kiosk.slotState('s4') === 'pending', 's4 is held');
  check(
    await eventually(() => kiosk.slotState('s4') === 'free'),
    'after the grace, the check gives s4 back',
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-power-bank-'));
  const secret = randomBytes(16).toString('hex');
  const coordinator = await startServer(
    loadConfig(
      {},
      {
        ACCORD_PORT: '0',
        ACCORD_DATA_DIR: join(dir, 'coordinator'),
        ACCORD_LOG_LEVEL: 'silent',
        ACCORD_SIGNING_SECRET: secret,
        ACCORD_POLL_INTERVAL_MS: '20',
        ACCORD_RETRY_FIRST_MS: '100',
        ACCORD_ONGOING_DELAY_MS: '100',
      },
    ),
  );
  const accord = new AccordClient({ url: coordinator.url, signingSecret: secret });
  let ordersUrl = '';
  const kiosk = await startKiosk({ dir, slots: 4, accord, secret, orders: () => ordersUrl });
  const orders = await startOrders({ dir, accord, secret, kiosk: () => kiosk.url });
  ordersUrl = orders.url;
  console.log(`coordinator ${coordinator.url}, kiosk ${kiosk.url}, orders ${orders.url}\n`);
  try {
    await stories(kiosk, orders);
  } finally {
    await coordinator.close();
    await accord.close();
    await kiosk.close();
    await orders.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.log(`\n${failures.length} check(s) failed`);
    process.exitCode = 1;
  } else {
    console.log('\nall stories checked');
  }
}

await main();
