/**
 * One of the four services as an HTTP participant: saga routes guarded by the barrier,
 * XA routes for local work and phase two, and the XA recovery job. The same code serves
 * stock, order, points and wallet, on PostgreSQL or MariaDB: the resource brings the
 * business rules, the database the engine.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { RecoveryReport, RecoveryRunner, TransactionQueryLike } from '@accord/client/xa';
import { accordFastifyBodyParser, accordFastifyHandler } from '@accord/client/participant';
import {
  coordinatorDecider,
  startRecovery,
  xaLocalHandler,
  xaPhaseTwoHandler,
} from '@accord/client/xa';
import type { ResourceName } from './checkout.js';
import { parseCheckout } from './checkout.js';
import type { ShopResource } from './resources.js';
import type { ShopDatabase } from './shop-database.js';

/** The routes every service serves, relative to its base URL. */
export const SHOP_ROUTES = {
  /** Saga action (`Accord-Op: action`). */
  sagaApply: '/saga/apply',
  /** Saga compensation (`Accord-Op: compensate`). */
  sagaUndo: '/saga/undo',
  /** XA local work, called by the client (`Accord-Op: try`). */
  xaLocal: '/xa/local',
  /** XA commit and rollback, called by the coordinator. */
  xaPhaseTwo: '/xa/phase-two',
} as const;

/** Options of the XA recovery job. */
export interface ShopRecoveryOptions {
  /** Pause between passes, ms (default 60000). */
  readonly intervalMs?: number;
  /**
   * How long a prepared branch whose gid the coordinator does not know waits before it
   * is rolled back, ms (default 300000).
   */
  readonly graceMs?: number;
  /** Called after every pass. */
  readonly onReport?: (report: RecoveryReport) => void;
  /** Called when a pass or a branch fails (default: one `console.warn` line). */
  readonly onError?: (error: unknown) => void;
}

/** How a service is set up. */
export interface ShopServiceOptions {
  readonly resource: ShopResource;
  /** The service's own database, already migrated. */
  readonly db: ShopDatabase;
  /** Asked by the recovery job for the fate of orphaned prepared branches. */
  readonly accord: TransactionQueryLike;
  /** Verifies `Accord-Signature` on the coordinator's calls when set. */
  readonly secret?: string;
  readonly recovery?: ShopRecoveryOptions;
  /** Port on 127.0.0.1 (default 0: any free one). */
  readonly port?: number;
}

/** A running service. */
export interface ShopService {
  readonly name: ResourceName;
  readonly app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly db: ShopDatabase;
  /** The XA recovery job (`runNow()` runs a pass at once). */
  readonly recovery: RecoveryRunner;
  /** Stops the recovery job and the HTTP server (the database stays open: the caller's). */
  close(): Promise<void>;
}

/**
 * Starts a service on 127.0.0.1.
 *
 * @example
 * const stock = await startShopService({ resource: stockResource, db, accord, secret });
 * await accord.saga().step({
 *   action: `${stock.url}${SHOP_ROUTES.sagaApply}`,
 *   compensate: `${stock.url}${SHOP_ROUTES.sagaUndo}`,
 *   payload: checkout,
 * }).submit({ waitResult: true });
 */
export async function startShopService(options: ShopServiceOptions): Promise<ShopService> {
  const { resource, db } = options;
  const app = Fastify({ logger: false });
  accordFastifyBodyParser(app);
  const signed = options.secret !== undefined ? { secret: options.secret } : {};

  app.post(
    SHOP_ROUTES.sagaApply,
    accordFastifyHandler(async (ctx, body) => {
      const checkout = parseCheckout(body);
      const run = await db.guarded(ctx, (tx) => resource.apply(tx, checkout));
      return run.applied ? { applied: true } : { applied: false, skipped: run.reason };
    }, signed),
  );
  app.post(
    SHOP_ROUTES.sagaUndo,
    accordFastifyHandler(async (ctx, body) => {
      const checkout = parseCheckout(body);
      const run = await db.guarded(ctx, (tx) => resource.undo(tx, checkout));
      return run.applied ? { undone: true } : { undone: false, skipped: run.reason };
    }, signed),
  );
  app.post(
    SHOP_ROUTES.xaLocal,
    accordFastifyHandler(
      xaLocalHandler(db.xa, async (tx, body) => {
        await resource.apply(tx, parseCheckout(body));
        return { prepared: resource.name };
      }),
    ),
  );
  app.post(SHOP_ROUTES.xaPhaseTwo, accordFastifyHandler(xaPhaseTwoHandler(db.xa), signed));

  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const r = options.recovery ?? {};
  const recovery = startRecovery({
    xa: db.xa,
    decide: coordinatorDecider(
      options.accord,
      r.graceMs !== undefined ? { graceMs: r.graceMs } : {},
    ),
    ...(r.intervalMs !== undefined && { intervalMs: r.intervalMs }),
    ...(r.onReport !== undefined && { onReport: r.onReport }),
    ...(r.onError !== undefined && { onError: r.onError }),
  });

  return {
    name: resource.name,
    app,
    url,
    db,
    recovery,
    async close() {
      try {
        await recovery.stop();
      } finally {
        await app.close();
      }
    },
  };
}
