/**
 * The order service, with its own SQLite database. A paid order waits for the kiosk's
 * eject report; it places a hold of its own ("awaiting eject") whose check asks the kiosk
 * directly, so a lost report still ends with the order active (or refunded when the kiosk
 * gave the slot back).
 */
import type { AccordClient } from '@accord/client';
import { placeHold, type HoldSettler } from '@accord/client/reservation';
import { callJson, listen, readJson, sendJson } from './http-helpers.js';
import { holdRoutes, openServiceDatabase } from './service-database.js';

/** How long a paid order waits for the eject report before asking the kiosk, ms. */
export const EJECT_WAIT_MS = 3_000;

/** A running order service. */
export interface OrderService {
  readonly url: string;
  /** The order's state: `paid`, `cancelled`, `active` or `refunded`. */
  orderState(id: string): string | undefined;
  /** Eject reports the kiosk delivered. */
  readonly reports: string[];
  close(): Promise<void>;
}

interface OrderHold {
  readonly orderId: string;
}

/** Starts the order service in `dir`, asking the kiosk at `kiosk()` when a report is late. */
export async function startOrders(options: {
  readonly dir: string;
  readonly accord: AccordClient;
  readonly secret: string;
  readonly kiosk: () => string;
}): Promise<OrderService> {
  const database = openServiceDatabase(options.dir, 'orders');
  const { db, barrier } = database;
  db.exec(`CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, slot TEXT NOT NULL, state TEXT NOT NULL)`);
  const activate = db.prepare("UPDATE orders SET state = 'active' WHERE id = ? AND state = 'paid'");
  const reports: string[] = [];

  const settler: HoldSettler<OrderHold> = {
    async decide({ payload }) {
      const answer = await callJson(`${options.kiosk()}/ejections/${payload.orderId}`);
      const { ejected, slotState } = answer.body as { ejected: boolean; slotState: string };
      if (ejected) return 'confirm';
      return slotState === 'free' ? 'release' : 'wait';
    },
    confirm: ({ payload }) => void activate.run(payload.orderId),
    release: ({ payload }) =>
      void db
        .prepare("UPDATE orders SET state = 'refunded' WHERE id = ? AND state = 'paid'")
        .run(payload.orderId),
  };
  const { check, checkBack } = holdRoutes(database, settler, options.secret);

  const server = await listen(async (req, res) => {
    const path = req.url ?? '';
    const ejected = /^\/orders\/([^/]+)\/ejected$/.exec(path);
    if (req.method === 'POST' && path === '/orders') {
      const { id, slot, paid } = await readJson<{ id: string; slot: string; paid: boolean }>(req);
      if (!paid) {
        db.prepare("INSERT INTO orders (id, slot, state) VALUES (?, ?, 'cancelled')").run(id, slot);
        return sendJson(res, 201, { id, state: 'cancelled' });
      }
      await placeHold(
        options.accord,
        {
          key: `order-${id}`,
          holdMs: EJECT_WAIT_MS,
          payload: { orderId: id } satisfies OrderHold,
          checkUrl: `${server.url}/holds/check`,
          checkBackUrl: `${server.url}/holds/check-back`,
        },
        (h) =>
          db.transaction(() => {
            db.prepare("INSERT INTO orders (id, slot, state) VALUES (?, ?, 'paid')").run(id, slot);
            barrier.msg(db, h.gid);
          })(),
      );
      sendJson(res, 201, { id, state: 'paid' });
    } else if (req.method === 'POST' && ejected) {
      reports.push(ejected[1]!);
      activate.run(ejected[1]!);
      sendJson(res, 200, { id: ejected[1] });
    } else if (req.method === 'GET' && path.startsWith('/orders/')) {
      const id = decodeURIComponent(path.slice('/orders/'.length));
      const row = db.prepare('SELECT state FROM orders WHERE id = ?').get(id) as
        { state: string } | undefined;
      if (row) sendJson(res, 200, { id, state: row.state });
      else sendJson(res, 404, { error: `no order ${id}` });
    } else if (path === '/holds/check') await check(req, res);
    else if (path === '/holds/check-back') await checkBack(req, res);
    else sendJson(res, 404, { error: 'no such route' });
  });
  return {
    url: server.url,
    reports,
    orderState: (id) =>
      (db.prepare('SELECT state FROM orders WHERE id = ?').get(id) as { state: string } | undefined)
        ?.state,
    close: async () => {
      await server.close();
      db.close();
    },
  };
}
