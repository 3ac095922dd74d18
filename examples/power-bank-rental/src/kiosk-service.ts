/**
 * The kiosk: power-bank slots in its own SQLite database. `POST /rentals` holds a free
 * slot for an order ("pending rental", so nobody else takes it) and schedules the check;
 * the check, when the hold expires, asks the order service: a paid order ejects the power
 * bank and reports it back, a cancelled or never-created order frees the slot.
 */
import type { AccordClient } from '@accord/client';
import { BusinessFailure } from '@accord/client/participant';
import { placeHold, type HoldSettler } from '@accord/client/reservation';
import { callJson, listen, readJson, sendJson } from './http-helpers.js';
import { holdRoutes, openServiceDatabase } from './service-database.js';

/** What a kiosk hold carries to its check. */
export interface SlotHold {
  readonly slot: string;
  readonly orderId: string;
}

/** How long a slot stays held before the check asks about the order, ms. */
export const SLOT_HOLD_MS = 1_000;
/** How long after the hold an order that never appeared is waited for, ms. */
export const ORDER_GRACE_MS = 10_000;

/** A running kiosk. */
export interface KioskService {
  readonly url: string;
  /** The slot's state: `free`, `pending` or `rented`. */
  slotState(slot: string): string | undefined;
  /** Fault injection: eject reports to the order service are lost while true. */
  loseReports: boolean;
  close(): Promise<void>;
}

/** Starts a kiosk with `slots` slots (`s1`, `s2`, …) in `dir`, reporting to `orders`. */
export async function startKiosk(options: {
  readonly dir: string;
  readonly slots: number;
  readonly accord: AccordClient;
  readonly secret: string;
  readonly orders: () => string;
}): Promise<KioskService> {
  const database = openServiceDatabase(options.dir, 'kiosk');
  const { db, barrier } = database;
  db.exec(`CREATE TABLE IF NOT EXISTS slots (
    id TEXT PRIMARY KEY, state TEXT NOT NULL DEFAULT 'free', order_id TEXT, held_until INTEGER)`);
  db.exec(`CREATE TABLE IF NOT EXISTS ejections (
    order_id TEXT PRIMARY KEY, slot TEXT NOT NULL, at INTEGER NOT NULL)`);
  const seed = db.prepare('INSERT OR IGNORE INTO slots (id) VALUES (?)');
  for (let i = 1; i <= options.slots; i += 1) seed.run(`s${i}`);

  const hold = db.prepare(
    "UPDATE slots SET state = 'pending', order_id = ?, held_until = ? WHERE id = ? AND state = 'free'",
  );
  const eject = db.transaction((h: SlotHold) => {
    const taken = db
      .prepare(
        "UPDATE slots SET state = 'rented' WHERE id = ? AND state = 'pending' AND order_id = ?",
      )
      .run(h.slot, h.orderId);
    if (taken.changes === 1) {
      db.prepare('INSERT INTO ejections (order_id, slot, at) VALUES (?, ?, ?)').run(
        h.orderId,
        h.slot,
        Date.now(),
      );
    }
  });
  const service: KioskService = {
    url: '',
    loseReports: false,
    slotState: (slot) =>
      (
        db.prepare('SELECT state FROM slots WHERE id = ?').get(slot) as
          { state: string } | undefined
      )?.state,
    close: async () => undefined,
  };

  const settler: HoldSettler<SlotHold> = {
    async decide({ payload, expiresAt }) {
      const order = await callJson(`${options.orders()}/orders/${payload.orderId}`);
      const state = (order.body as { state?: string } | null)?.state;
      if (order.status === 404) return Date.now() > expiresAt + ORDER_GRACE_MS ? 'release' : 'wait';
      if (state === 'cancelled') return 'release';
      return 'confirm';
    },
    async confirm({ payload }) {
      eject(payload);
      if (service.loseReports) return;
      await callJson(`${options.orders()}/orders/${payload.orderId}/ejected`, { method: 'POST' });
    },
    release({ payload }) {
      db.prepare(
        "UPDATE slots SET state = 'free', order_id = NULL WHERE id = ? AND state = 'pending' AND order_id = ?",
      ).run(payload.slot, payload.orderId);
    },
  };
  const { check, checkBack } = holdRoutes(database, settler, options.secret);

  const server = await listen(async (req, res) => {
    const path = req.url ?? '';
    if (req.method === 'POST' && path === '/rentals') {
      const { slot, orderId } = await readJson<SlotHold>(req);
      try {
        const { hold: placed } = await placeHold(
          options.accord,
          {
            key: slot,
            holdMs: SLOT_HOLD_MS,
            payload: { slot, orderId },
            checkUrl: `${server.url}/holds/check`,
            checkBackUrl: `${server.url}/holds/check-back`,
          },
          (h) =>
            db.transaction(() => {
              if (hold.run(orderId, h.expiresAt, slot).changes !== 1) {
                throw new BusinessFailure(`slot ${slot} is not free`);
              }
              barrier.msg(db, h.gid);
            })(),
        );
        sendJson(res, 201, { gid: placed.gid, heldUntil: placed.expiresAt });
      } catch (error) {
        if (!(error instanceof BusinessFailure)) throw error;
        sendJson(res, 409, { error: error.message });
      }
    } else if (req.method === 'GET' && path.startsWith('/ejections/')) {
      const orderId = decodeURIComponent(path.slice('/ejections/'.length));
      const row = db.prepare('SELECT slot FROM ejections WHERE order_id = ?').get(orderId);
      const slot = db.prepare('SELECT state FROM slots WHERE order_id = ?').get(orderId) as
        { state: string } | undefined;
      sendJson(res, 200, { ejected: row !== undefined, slotState: slot?.state ?? 'free' });
    } else if (path === '/holds/check') await check(req, res);
    else if (path === '/holds/check-back') await checkBack(req, res);
    else sendJson(res, 404, { error: 'no such route' });
  });
  return Object.assign(service, {
    url: server.url,
    close: async () => {
      await server.close();
      db.close();
    },
  });
}
