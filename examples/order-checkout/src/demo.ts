/**
 * `npm run demo:order-checkout`: four services (stock and wallet on PostgreSQL, order and
 * points on MariaDB) check out a batch of orders at once, first as concurrent sagas, then
 * as XA transactions. Some checkouts are refused for stock or balance. Prints what each
 * variant left in the databases and checks the invariants; exits 1 if one fails.
 *
 * Options: `--checkouts N` (default 24, at most 48), `--postgres URL`, `--mysql URL` (the
 * servers to create scratch schemas and databases on; default the local test servers).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { awaitFinal } from './await-final.js';
import type { CheckoutOutcome } from './checkout.js';
import { POINTS_PER_ORDER } from './checkout.js';
import type { CheckoutMix } from './checkout-mix.js';
import { checkoutMix } from './checkout-mix.js';
import { checkoutSaga } from './checkout-saga.js';
import { checkoutXa } from './checkout-xa.js';
import type { Check } from './invariants.js';
import { checkInvariants } from './invariants.js';
import type { ScratchServers } from './scratch-databases.js';
import { createScratchDatabases, dropScratchDatabases } from './scratch-databases.js';
import type { ShopSnapshot } from './shop-snapshot.js';
import type { ShopWorld } from './shop-world.js';
import { DEFAULT_PLACEMENT, startShopWorld } from './shop-world.js';

type Variant = 'saga' | 'xa';

const MAX_CHECKOUTS = 48;

const TITLES: Record<Variant, string> = {
  saga: 'concurrent saga (order first, then stock, points and wallet at once; barrier-guarded, compensated)',
  xa: 'XA (order, points, wallet, stock prepared in turn; committed or rolled back together)',
};

const RUNNERS: Record<Variant, (world: ShopWorld, mix: CheckoutMix) => Promise<CheckoutOutcome>[]> =
  {
    saga: (world, mix) => mix.checkouts.map((c) => checkoutSaga(world.accord, world.urls, c)),
    xa: (world, mix) => mix.checkouts.map((c) => checkoutXa(world.accord, world.urls, c)),
  };

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

function describeState(mix: CheckoutMix, s: ShopSnapshot): string[] {
  const placed = s.orders.filter((o) => o.status === 'placed');
  const stock = [...s.stock].map(([sku, n]) => `${sku} ${n}`).join(', ');
  return [
    `orders: ${placed.length} placed, ${s.orders.length - placed.length} cancelled`,
    `stock: ${stock} (sold ${sum(placed.map((o) => o.qty))} units)`,
    `wallets: ${sum(s.wallets.values())} left, ${sum(placed.map((o) => o.amount))} spent; ${mix.poorCustomer} has ${s.wallets.get(mix.poorCustomer)}`,
    `points: ${sum(s.points.values())} granted (${POINTS_PER_ORDER} per paid order)`,
  ];
}

/** Runs one variant on fresh databases and returns its checks. */
async function runVariant(
  variant: Variant,
  servers: ScratchServers,
  count: number,
): Promise<Check[]> {
  const mix = checkoutMix({ prefix: variant, count, runTag: randomBytes(3).toString('hex') });
  const databases = await createScratchDatabases(servers, DEFAULT_PLACEMENT);
  const dir = mkdtempSync(join(tmpdir(), 'accord-order-checkout-'));
  let world: ShopWorld | undefined;
  try {
    world = await startShopWorld({
      dir,
      databases,
      seed: mix.seed,
      recovery: {
        intervalMs: 1_000,
        // A pass may finish branches before the coordinator's own phase two gets there:
        // both ask the same record, and the second one finds the work done.
        onReport: (resource, r) => {
          if (r.committed.length + r.rolledBack.length === 0) return;
          console.log(
            `  recovery at ${resource}: committed ${r.committed.length}, rolled back ${r.rolledBack.length} prepared branch(es) as the coordinator had decided`,
          );
        },
      },
    });
    console.log(`\n${TITLES[variant]}`);
    console.log(
      `  ${count} checkouts at once: ${mix.checkouts.filter((c) => c.sku === mix.rareSku).length} want one of ${mix.seed.stock[mix.rareSku]} units of ${mix.rareSku}; ${mix.poorCustomer} tries 4 orders of 40 with 100`,
    );
    const started = performance.now();
    const settled = await Promise.allSettled(RUNNERS[variant](world, mix));
    const outcomes = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const errors = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    await awaitFinal(
      world.accord,
      outcomes.map((o) => o.gid),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(2);

    const refused = outcomes.filter((o) => o.outcome === 'refused').map((o) => o.reason ?? '');
    const got = {
      paid: outcomes.length - refused.length,
      refusedForStock: refused.filter((r) => r.includes('insufficient stock')).length,
      refusedForBalance: refused.filter((r) => r.includes('insufficient balance')).length,
    };
    console.log(
      `  ${got.paid} paid, ${refused.length} refused (${got.refusedForStock} for stock, ${got.refusedForBalance} for balance) in ${seconds} s`,
    );
    const snapshot = await world.snapshot();
    for (const line of describeState(mix, snapshot)) console.log(`  ${line}`);

    const e = mix.expected;
    const checks: Check[] = [
      {
        name: 'every checkout ended with an answer',
        ok: errors.length === 0,
        detail: errors.length === 0 ? `${outcomes.length} answers` : String(errors[0]),
      },
      {
        name: 'the outcome is the one known in advance',
        ok:
          got.paid === e.paid &&
          got.refusedForStock === e.refusedForStock &&
          got.refusedForBalance === e.refusedForBalance,
        detail: `expected ${e.paid} paid, ${e.refusedForStock} + ${e.refusedForBalance} refused`,
      },
      ...checkInvariants(mix.seed, snapshot),
    ];
    if (variant === 'xa') {
      const held = await world.prepared();
      checks.push({
        name: 'no prepared transaction left for this run (pg_prepared_xacts, XA RECOVER)',
        ok: held.length === 0,
        detail: held.length === 0 ? 'none' : held.map((b) => `${b.resource}: ${b.xid}`).join(', '),
      });
      const refusedIds = new Set(
        outcomes.filter((o) => o.outcome === 'refused').map((o) => o.orderId),
      );
      const rows = snapshot.orders.filter((o) => refusedIds.has(o.id)).length;
      checks.push({
        name: 'a refused XA checkout leaves no order row at all',
        ok: rows === 0,
        detail: `${rows} rows for ${refusedIds.size} refused checkouts`,
      });
    }
    for (const c of checks) console.log(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
    return checks;
  } finally {
    try {
      await world?.close();
    } finally {
      await dropScratchDatabases(databases);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkouts: { type: 'string', default: '24' },
      postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
      mysql: { type: 'string', default: 'mysql://root@127.0.0.1:3306/test' },
    },
  });
  const count = Number(values.checkouts);
  // Waiting XA checkouts hold prepared transactions, which PostgreSQL caps
  // (max_prepared_transactions, 64 on the test server): beyond the cap they fail.
  if (!Number.isInteger(count) || count < 8 || count > MAX_CHECKOUTS) {
    console.error(`--checkouts must be an integer from 8 to ${MAX_CHECKOUTS}`);
    process.exitCode = 2;
    return;
  }
  const servers: ScratchServers = { postgresUrl: values.postgres, mysqlUrl: values.mysql };
  console.log(
    'order checkout: coordinator in-process on SQLite; stock and wallet on PostgreSQL, order and points on MariaDB, each in its own scratch schema/database',
  );
  const checks = [
    ...(await runVariant('saga', servers, count)),
    ...(await runVariant('xa', servers, count)),
  ];
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`\n${checks.length - failed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
