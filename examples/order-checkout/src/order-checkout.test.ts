import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { ACCORD_HEADERS } from '@accord/client';
import { signPayload } from '@accord/client/participant';
import {
  createTempMysqlDatabase,
  createTempSchema,
  requireService,
  SERVICES,
  tempDir,
  type TempDatabase,
  type TempSchema,
} from '@accord/testkit';
import { awaitFinal } from './await-final.js';
import type { Checkout, CheckoutOutcome, ResourceName } from './checkout.js';
import { POINTS_PER_ORDER } from './checkout.js';
import { checkoutSaga, sagaGid } from './checkout-saga.js';
import { checkoutXa, checkoutXaBranches, xaGid } from './checkout-xa.js';
import type { CheckoutMix } from './checkout-mix.js';
import { checkoutMix, mergeSeeds } from './checkout-mix.js';
import { checkInvariants } from './invariants.js';
import type { ShopSeed } from './resources.js';
import type { ShopSnapshot } from './shop-snapshot.js';
import { routeOf } from './shop-urls.js';
import type { DatabaseTarget, ShopWorld } from './shop-world.js';
import { DEFAULT_PLACEMENT, startShopWorld } from './shop-world.js';

/** Why the suite cannot run (a service missing, or no PostgreSQL for XA), or null. */
async function preconditions(): Promise<string | null> {
  for (const service of ['postgresXa', 'mariadb'] as const) {
    const missing = await requireService(service);
    if (missing !== null) return missing;
  }
  return null;
}

const skip = await preconditions();

/**
 * Order ids (and so gids) are unique per run: MariaDB refuses a second XA transaction
 * whose gid and branch id match one still prepared, even under another format id, so a
 * run must not reuse the xids a crashed earlier run may have left behind.
 */
const RUN = randomBytes(3).toString('hex');
const orderId = (name: string) => `${name}-${RUN}`;

/** Twenty checkouts per variant, of known outcome (see checkoutMix). */
const MIXES = {
  saga: checkoutMix({ prefix: 'saga', count: 20, runTag: RUN }),
  xa: checkoutMix({ prefix: 'xa', count: 20, runTag: RUN }),
};

const SEED: ShopSeed = mergeSeeds(
  { stock: { tea: 10_000 }, wallets: { ada: 1_000, bob: 1_000, pauper: 10 } },
  MIXES.saga.seed,
  MIXES.xa.seed,
);

describe(
  'order checkout over two PostgreSQL and two MariaDB services',
  { skip: skip ?? false },
  () => {
    const dir = tempDir('accord-order-checkout-');
    const made: Array<TempSchema | TempDatabase> = [];
    let world: ShopWorld;
    let pgAdmin: pg.Client;
    let mysqlAdmin: mysql.Connection;

    before(async () => {
      const databases: Partial<Record<ResourceName, DatabaseTarget>> = {};
      for (const [resource, dialect] of Object.entries(DEFAULT_PLACEMENT) as [
        ResourceName,
        DatabaseTarget['dialect'],
      ][]) {
        const db =
          dialect === 'postgres'
            ? await createTempSchema(`oc_${resource}`, { service: 'postgresXa' })
            : await createTempMysqlDatabase(`oc_${resource}`);
        made.push(db);
        databases[resource] = { dialect, url: db.url };
      }
      pgAdmin = new pg.Client({ connectionString: SERVICES.postgresXa.url });
      await pgAdmin.connect();
      mysqlAdmin = await mysql.createConnection({ uri: SERVICES.mariadb.url });
      world = await startShopWorld({
        dir: dir.path,
        databases: databases as Record<ResourceName, DatabaseTarget>,
        seed: SEED,
        // Recovery passes only when a test asks (runNow): nothing races the assertions.
        recovery: { intervalMs: 600_000, onError: () => undefined },
      });
    });

    after(async () => {
      // Closing rolls back anything this world left prepared: its locks would block the drops.
      const closing: unknown = await world?.close().then(
        () => undefined,
        (error: unknown) => error,
      );
      await pgAdmin?.end().catch(() => undefined);
      await mysqlAdmin?.end().catch(() => undefined);
      const dropped = await Promise.allSettled(made.map((db) => db.drop()));
      dir.remove();
      const rejected = dropped.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const failure: unknown = closing ?? (rejected?.reason as unknown);
      assert.ifError(failure);
    });

    /**
     * The prepared transactions of these gids as the servers themselves list them
     * (`pg_prepared_xacts`, `XA RECOVER`): branch ids by engine.
     */
    async function preparedOf(...gids: string[]): Promise<{ postgres: string[]; mysql: string[] }> {
      const { rows } = await pgAdmin.query<{ gid: string }>('SELECT gid FROM pg_prepared_xacts');
      const [recovered] = await mysqlAdmin.query<mysql.RowDataPacket[]>('XA RECOVER');
      const pgXids = rows.map((r) => r.gid.split(':'));
      const mysqlXids = recovered.map((r) => {
        const data = r['data'] as Buffer;
        const length = Number(r['gtrid_length']);
        return [data.subarray(0, length).toString(), data.subarray(length).toString()];
      });
      return {
        postgres: pgXids.filter(([, gid]) => gids.includes(gid ?? '')).map(([, , b]) => String(b)),
        mysql: mysqlXids.filter(([gid]) => gids.includes(gid ?? '')).map(([, b]) => String(b)),
      };
    }

    /** The committed balances of one customer and one sku. */
    function view(s: ShopSnapshot, customer: string, sku: string) {
      return {
        stock: s.stock.get(sku),
        wallet: s.wallets.get(customer),
        points: s.points.get(customer),
      };
    }

    function assertInvariants(snapshot: ShopSnapshot): void {
      for (const check of checkInvariants(SEED, snapshot))
        assert.ok(check.ok, `${check.name}: ${check.detail}`);
    }

    async function history(gid: string) {
      const { transaction, history: attempts } = await world.accord.query(gid);
      const succeeded = (op: string) =>
        [
          ...new Set(
            attempts.filter((a) => a.op === op && a.outcome === 'success').map((a) => a.branchId),
          ),
        ].sort();
      return { transaction, succeeded };
    }

    describe('concurrent saga', () => {
      it('applies the checkout in all four databases', async () => {
        const c: Checkout = {
          orderId: orderId('saga-ok'),
          customer: 'ada',
          sku: 'tea',
          qty: 2,
          amount: 60,
        };
        const before = view(await world.snapshot(), 'ada', 'tea');
        const outcome = await checkoutSaga(world.accord, world.urls, c);
        assert.deepEqual(outcome, {
          orderId: c.orderId,
          gid: sagaGid(c),
          outcome: 'paid',
          reason: null,
        });

        const after = await world.snapshot();
        assert.deepEqual(view(after, 'ada', 'tea'), {
          stock: before.stock! - 2,
          wallet: before.wallet! - 60,
          points: before.points! + POINTS_PER_ORDER,
        });
        assert.deepEqual(
          after.orders.find((o) => o.id === c.orderId),
          { id: c.orderId, customer: 'ada', sku: 'tea', qty: 2, amount: 60, status: 'placed' },
        );
        const { succeeded } = await history(outcome.gid);
        assert.deepEqual(succeeded('action'), ['order', 'points', 'stock', 'wallet']);
        assert.deepEqual(succeeded('compensate'), []);
      });

      for (const layout of ['order-first', 'concurrent'] as const) {
        it(`compensates what ran when the wallet refuses (${layout})`, async () => {
          const c: Checkout = {
            orderId: orderId(`saga-poor-${layout}`),
            customer: 'pauper',
            sku: 'tea',
            qty: 1,
            amount: 50,
          };
          const before = await world.snapshot();
          const outcome = await checkoutSaga(world.accord, world.urls, c, { layout });
          assert.equal(outcome.outcome, 'refused');
          assert.match(outcome.reason ?? '', /insufficient balance of pauper/);

          const after = await world.snapshot();
          assert.deepEqual(view(after, 'pauper', 'tea'), view(before, 'pauper', 'tea'));
          const order = after.orders.find((o) => o.id === c.orderId);
          assert.notEqual(order?.status, 'placed');
          const { transaction, succeeded } = await history(outcome.gid);
          assert.equal(transaction.status, 'failed');
          assert.ok(!succeeded('action').includes('wallet'));
          if (layout === 'order-first') {
            // The order row was certainly written first, so it is there, cancelled.
            assert.equal(order?.status, 'cancelled');
            assert.ok(succeeded('compensate').includes('order'));
          }
          assertInvariants(after);
        });
      }

      it('compensates the order, points and wallet when stock refuses', async () => {
        const c: Checkout = {
          orderId: orderId('saga-nostock'),
          customer: 'bob',
          sku: 'tea',
          qty: 1_000_000,
          amount: 70,
        };
        const before = await world.snapshot();
        const outcome = await checkoutSaga(world.accord, world.urls, c);
        assert.equal(outcome.outcome, 'refused');
        assert.match(outcome.reason ?? '', /insufficient stock of tea/);

        const after = await world.snapshot();
        assert.deepEqual(view(after, 'bob', 'tea'), view(before, 'bob', 'tea'));
        assert.equal(after.orders.find((o) => o.id === c.orderId)?.status, 'cancelled');
        const { succeeded } = await history(outcome.gid);
        assert.ok(succeeded('action').includes('order'));
        assert.ok(!succeeded('action').includes('stock'));
        // Every step is compensated, the refused one too: its barrier finds no action to
        // undo (an empty compensation) and changes nothing.
        assert.deepEqual(succeeded('compensate'), ['order', 'points', 'stock', 'wallet']);
        assertInvariants(after);
      });
    });

    describe('xa', () => {
      it('commits the four branches together; nothing is visible before the commit', async () => {
        const c: Checkout = {
          orderId: orderId('xa-ok'),
          customer: 'ada',
          sku: 'tea',
          qty: 3,
          amount: 90,
        };
        const gid = xaGid(c);
        const before = view(await world.snapshot(), 'ada', 'tea');
        const { transaction } = await world.accord.xa(
          async (xa) => {
            for (const branch of checkoutXaBranches(world.urls, c)) await xa.branch(branch);
            // Every branch prepared, none committed.
            const during = await world.snapshot();
            assert.deepEqual(view(during, 'ada', 'tea'), before);
            assert.equal(
              during.orders.find((o) => o.id === c.orderId),
              undefined,
            );
            const prepared = await preparedOf(gid);
            assert.deepEqual(prepared.postgres.sort(), ['stock', 'wallet']);
            assert.deepEqual(prepared.mysql.sort(), ['order', 'points']);
          },
          { gid, waitResult: true },
        );
        assert.equal(transaction.status, 'succeeded');

        const after = await world.snapshot();
        assert.deepEqual(view(after, 'ada', 'tea'), {
          stock: before.stock! - 3,
          wallet: before.wallet! - 90,
          points: before.points! + POINTS_PER_ORDER,
        });
        assert.equal(after.orders.find((o) => o.id === c.orderId)?.status, 'placed');
        assert.deepEqual(await preparedOf(gid), { postgres: [], mysql: [] });
      });

      it('rolls back every prepared branch when stock refuses', async () => {
        const c: Checkout = {
          orderId: orderId('xa-nostock'),
          customer: 'bob',
          sku: 'tea',
          qty: 1_000_000,
          amount: 70,
        };
        const before = await world.snapshot();
        const outcome = await checkoutXa(world.accord, world.urls, c);
        assert.equal(outcome.outcome, 'refused');
        assert.match(outcome.reason ?? '', /insufficient stock of tea/);

        const finished = await awaitFinal(world.accord, [outcome.gid], { timeoutMs: 10_000 });
        assert.equal(finished.get(outcome.gid)?.status, 'failed');
        const { succeeded } = await history(outcome.gid);
        assert.deepEqual(succeeded('rollback'), ['order', 'points', 'stock', 'wallet']);
        assert.deepEqual(succeeded('commit'), []);
        assert.deepEqual(await preparedOf(outcome.gid), { postgres: [], mysql: [] });

        const after = await world.snapshot();
        assert.deepEqual(view(after, 'bob', 'tea'), view(before, 'bob', 'tea'));
        assert.equal(
          after.orders.find((o) => o.id === c.orderId),
          undefined,
          'no row, not even cancelled',
        );
      });

      for (const resource of ['stock', 'points'] as const) {
        it(`a ${resource} local-work call that arrives after its transaction was aborted is refused`, async () => {
          const c: Checkout = {
            orderId: orderId(`xa-late-${resource}`),
            customer: 'ada',
            sku: 'tea',
            qty: 1,
            amount: 5,
          };
          const gid = xaGid(c);
          const url = routeOf(world.urls, resource, 'xaPhaseTwo');
          await world.accord.create({ gid, mode: 'xa' });
          await world.accord.registerBranch(gid, {
            branchId: resource,
            commit: url,
            rollback: url,
            payload: c,
          });
          await world.accord.abort(gid, { reason: 'client gave up' });
          await awaitFinal(world.accord, [gid], { timeoutMs: 10_000 });
          const before = await world.snapshot();

          // The client's local-work call arrives late, after the rollback: the rollback left
          // its marker in the ledger, so the work never runs and nothing is prepared.
          const body = JSON.stringify(c);
          const call = { gid, branchId: resource, op: 'try', mode: 'xa' };
          const late = await fetch(routeOf(world.urls, resource, 'xaLocal'), {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              [ACCORD_HEADERS.gid]: gid,
              [ACCORD_HEADERS.branch]: resource,
              [ACCORD_HEADERS.op]: 'try',
              [ACCORD_HEADERS.mode]: 'xa',
              [ACCORD_HEADERS.signature]: signPayload(world.secret, call, body),
            },
            body,
          });
          assert.equal(late.status, 409, await late.text());
          assert.deepEqual(await world.prepared(), []);
          const report = await world.services[resource].recovery.runNow();
          assert.equal(report.found, 0);
          assert.deepEqual(await world.snapshot(), before);
        });
      }
    });

    describe('twenty concurrent checkouts per variant', () => {
      /** Like Promise.all, but lets every checkout end before failing: none runs on unseen. */
      async function settleAll(runs: Promise<CheckoutOutcome>[]): Promise<CheckoutOutcome[]> {
        const settled = await Promise.allSettled(runs);
        const failed = settled.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        return settled.map((r) => (r as PromiseFulfilledResult<CheckoutOutcome>).value);
      }

      function assertMix(mix: CheckoutMix, outcomes: CheckoutOutcome[], after: ShopSnapshot): void {
        const refused = outcomes.filter((o) => o.outcome === 'refused').map((o) => o.reason ?? '');
        assert.deepEqual(
          {
            paid: outcomes.length - refused.length,
            refusedForStock: refused.filter((r) => /insufficient stock/.test(r)).length,
            refusedForBalance: refused.filter((r) => /insufficient balance/.test(r)).length,
          },
          mix.expected,
          refused.join('\n'),
        );
        assert.equal(after.stock.get(mix.rareSku), 0);
        assert.equal(after.wallets.get(mix.poorCustomer), 20);
        assert.equal(after.points.get(mix.poorCustomer), 2 * POINTS_PER_ORDER);
        assertInvariants(after);
      }

      it('saga: every invariant holds once all have ended', async () => {
        const outcomes = await settleAll(
          MIXES.saga.checkouts.map((c, i) =>
            checkoutSaga(world.accord, world.urls, c, {
              layout: i % 2 === 0 ? 'order-first' : 'concurrent',
            }),
          ),
        );
        await awaitFinal(
          world.accord,
          outcomes.map((o) => o.gid),
          { timeoutMs: 15_000 },
        );
        assertMix(MIXES.saga, outcomes, await world.snapshot());
      });

      it('xa: every invariant holds and nothing is left prepared', async () => {
        const outcomes = await settleAll(
          MIXES.xa.checkouts.map((c) => checkoutXa(world.accord, world.urls, c)),
        );
        await awaitFinal(
          world.accord,
          outcomes.map((o) => o.gid),
          { timeoutMs: 15_000 },
        );
        assertMix(MIXES.xa, outcomes, await world.snapshot());
        assert.deepEqual(await world.prepared(), []);
        assert.deepEqual(await preparedOf(...outcomes.map((o) => o.gid)), {
          postgres: [],
          mysql: [],
        });
        const refusedIds = outcomes.filter((o) => o.outcome === 'refused').map((o) => o.orderId);
        const snapshot = await world.snapshot();
        assert.deepEqual(
          snapshot.orders.filter((o) => refusedIds.includes(o.id)),
          [],
          'refused xa checkouts leave no row',
        );
      });
    });
  },
);
