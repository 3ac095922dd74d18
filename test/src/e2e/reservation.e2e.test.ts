/**
 * Business reservations with a delayed check, against a real `accord serve` and
 * PostgreSQL: a kiosk holds a slot in its own transaction, the order is created (or not)
 * in another database, and the check that falls due when the hold expires confirms or
 * releases the slot. Covers the check arriving before the order commits, after it, twice,
 * and never (the sweep).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { AccordClient } from '@accord/client';
import { accordHandler, BusinessFailure } from '@accord/client/participant';
import { checkBackHandler, pgBarrier } from '@accord/client/barrier';
import {
  holdCheckHandler,
  placeHold,
  sweepHolds,
  type Hold,
  type HoldSettler,
} from '@accord/client/reservation';
import { createTempSchema, requireService, tempDir, waitFor } from '@accord/testkit';
import type { TempSchema } from '@accord/testkit';
import { CoordinatorProcess, FAST_ENV } from '../support/coordinator-process.js';

const SECRET = 'reservation-e2e-secret';

interface Rental {
  readonly slot: string;
  readonly orderId: string;
}

describe('reservation with a delayed check', async () => {
  const skip = await requireService('postgres');
  const dir = tempDir('accord-reservation-e2e-');
  const barrier = pgBarrier();
  let kioskSchema: TempSchema;
  let orderSchema: TempSchema;
  let kiosk: pg.Pool;
  let orders: pg.Pool;
  let server: Server;
  let base = '';
  let coordinator: CoordinatorProcess;
  let accord: AccordClient;
  const checks: string[] = [];

  /** The kiosk's settler: asks the order service's database, then updates its own slot. */
  const settler: HoldSettler<Rental> = {
    async decide(hold) {
      const { rows } = await orders.query<{ state: string }>(
        'SELECT state FROM orders WHERE id = $1',
        [hold.payload.orderId],
      );
      const state = rows[0]?.state;
      if (state === 'paid') return 'confirm';
      if (state === 'cancelled') return 'release';
      // No order yet: still being created until well past the hold, then given up on.
      return Date.now() - hold.expiresAt > 5_000 ? 'release' : 'wait';
    },
    async confirm(hold) {
      await kiosk.query(
        "UPDATE slots SET state = 'rented' WHERE id = $1 AND state = 'pending' AND order_id = $2",
        [hold.payload.slot, hold.payload.orderId],
      );
    },
    async release(hold) {
      await kiosk.query(
        "UPDATE slots SET state = 'free', order_id = NULL WHERE id = $1 AND state = 'pending' AND order_id = $2",
        [hold.payload.slot, hold.payload.orderId],
      );
    },
  };

  before(async () => {
    if (skip) return;
    kioskSchema = await createTempSchema('accord_hold_kiosk');
    orderSchema = await createTempSchema('accord_hold_orders');
    kiosk = new pg.Pool({ connectionString: kioskSchema.url, max: 6 });
    orders = new pg.Pool({ connectionString: orderSchema.url, max: 4 });
    kiosk.on('error', () => undefined);
    orders.on('error', () => undefined);
    await barrier.migrate(kiosk);
    await kiosk.query(
      "CREATE TABLE slots (id text PRIMARY KEY, state text NOT NULL DEFAULT 'free', order_id text, expires_at bigint)",
    );
    await kiosk.query("INSERT INTO slots (id) SELECT 's' || g FROM generate_series(1, 8) g");
    await orders.query('CREATE TABLE orders (id text PRIMARY KEY, state text NOT NULL)');

    const check = accordHandler(
      async (ctx, body) => {
        checks.push(ctx.gid);
        return holdCheckHandler(settler)(ctx, body);
      },
      { secret: SECRET },
    );
    const checkBack = accordHandler(
      checkBackHandler((gid) => barrier.checkPrepared(kiosk, gid)),
      { secret: SECRET },
    );
    server = createServer((req, res) => {
      if (req.url === '/holds/check') void check(req, res);
      else if (req.url === '/holds/check-back') void checkBack(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    coordinator = new CoordinatorProcess({
      dataDir: dir.path,
      env: { ...FAST_ENV, ACCORD_SIGNING_SECRET: SECRET, ACCORD_ONGOING_DELAY_MS: '100' },
    });
    await coordinator.start();
    accord = new AccordClient({ url: coordinator.url });
  });

  after(async () => {
    if (skip) return;
    await accord?.close();
    await coordinator?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await kiosk?.end();
    await orders?.end();
    await kioskSchema?.drop();
    await orderSchema?.drop();
    dir.remove();
  });

  /** Holds a slot for an order: the slot turns pending in the kiosk's own transaction. */
  async function rent(slot: string, orderId: string, holdMs = 300) {
    return placeHold(
      accord,
      {
        key: slot,
        holdMs,
        payload: { slot, orderId } satisfies Rental,
        checkUrl: `${base}/holds/check`,
        checkBackUrl: `${base}/holds/check-back`,
      },
      async (hold) => {
        const client = await kiosk.connect();
        try {
          await client.query('BEGIN');
          const { rowCount } = await client.query(
            "UPDATE slots SET state = 'pending', order_id = $2, expires_at = $3 WHERE id = $1 AND state = 'free'",
            [slot, orderId, hold.expiresAt],
          );
          if (rowCount !== 1) throw new BusinessFailure(`slot ${slot} is not free`);
          await barrier.msg(client, hold.gid);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
    );
  }

  const slotState = async (slot: string) =>
    (await kiosk.query<{ state: string }>('SELECT state FROM slots WHERE id = $1', [slot])).rows[0]
      ?.state;
  const slotBecomes = (slot: string, state: string) =>
    waitFor(async () => (await slotState(slot)) === state || undefined, {
      timeoutMs: 60_000,
      what: `slot ${slot} ${state}`,
    });
  const order = (id: string, state: 'paid' | 'cancelled') =>
    orders.query('INSERT INTO orders (id, state) VALUES ($1, $2)', [id, state]);

  it('confirms the slot when the order committed before the check', async (t) => {
    if (skip) return t.skip(skip);
    await rent('s1', 'o1');
    assert.equal(await slotState('s1'), 'pending');
    await order('o1', 'paid');
    await slotBecomes('s1', 'rented');
  });

  it('releases the slot when the order rolled back', async (t) => {
    if (skip) return t.skip(skip);
    await rent('s2', 'o2');
    await order('o2', 'cancelled');
    await slotBecomes('s2', 'free');
  });

  it('asks again while the order is still being created, then confirms', async (t) => {
    if (skip) return t.skip(skip);
    const { hold } = await rent('s3', 'o3', 50);
    await waitFor(() => checks.filter((gid) => gid === hold.gid).length >= 2 || undefined, {
      timeoutMs: 60_000,
      what: 'the check answered "ongoing" and was asked again',
    });
    assert.equal(await slotState('s3'), 'pending', 'nothing decided while the order is unknown');
    await order('o3', 'paid');
    await slotBecomes('s3', 'rented');
  });

  it('a duplicate check changes nothing', async (t) => {
    if (skip) return t.skip(skip);
    const { hold } = await rent('s4', 'o4');
    await order('o4', 'paid');
    await slotBecomes('s4', 'rented');
    const again = holdCheckHandler(settler);
    const ctx = { gid: hold.gid, branchId: 'check', op: 'action', mode: 'msg', traceparent: null };
    const answer = await again(ctx as never, {
      key: hold.key,
      expiresAt: hold.expiresAt,
      payload: hold.payload,
    });
    assert.deepEqual(answer, { key: 's4', outcome: 'confirmed' });
    assert.equal(await slotState('s4'), 'rented');
  });

  it('a hold refused by the local transaction schedules no check', async (t) => {
    if (skip) return t.skip(skip);
    await rent('s5', 'o5', 60_000);
    await assert.rejects(rent('s5', 'o5b'), BusinessFailure);
    const { items } = await accord.list({ mode: 'msg', status: 'failed' });
    assert.ok(items.length >= 1, 'the refused hold dropped its message');
    assert.equal(await slotState('s5'), 'pending', 'the first hold still stands');
  });

  it('the sweep settles a hold whose check was lost', async (t) => {
    if (skip) return t.skip(skip);
    // A hold written without its message: as if the check had been lost.
    await kiosk.query(
      "UPDATE slots SET state = 'pending', order_id = 'o6', expires_at = $1 WHERE id = 's6'",
      [Date.now() - 120_000],
    );
    await kiosk.query(
      "UPDATE slots SET state = 'pending', order_id = 'o7', expires_at = $1 WHERE id = 's7'",
      [Date.now() - 120_000],
    );
    await order('o6', 'paid');
    await order('o7', 'cancelled');
    const expired = async (before: number, limit: number): Promise<Hold<Rental>[]> => {
      const { rows } = await kiosk.query<{ id: string; order_id: string; expires_at: string }>(
        "SELECT id, order_id, expires_at FROM slots WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        [before, limit],
      );
      return rows.map((row) => ({
        key: row.id,
        gid: '',
        expiresAt: Number(row.expires_at),
        payload: { slot: row.id, orderId: row.order_id },
      }));
    };
    const report = await sweepHolds({ expired, settler });
    assert.deepEqual(
      { confirmed: report.confirmed, released: report.released, failed: report.failed.length },
      { confirmed: 1, released: 1, failed: 0 },
    );
    assert.equal(await slotState('s6'), 'rented');
    assert.equal(await slotState('s7'), 'free');
    const second = await sweepHolds({ expired, settler });
    assert.equal(second.confirmed + second.released, 0, 'a second pass finds nothing to do');
  });
});
