/**
 * The whole example in one process: a coordinator on SQLite in a directory, and the four
 * services, each on its own database (PostgreSQL or MariaDB). Used by the demo and the
 * tests; the databases themselves are the caller's (create them empty, drop them after).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { PreparedBranch, RecoveryReport } from '@accord/client/xa';
import { AccordClient } from '@accord/client';
import type { RunningServer } from '@accord/server';
import { loadConfig, startServer } from '@accord/server';
import type { ResourceName } from './checkout.js';
import { RESOURCES } from './checkout.js';
import { mysqlShopDatabase } from './mysql-database.js';
import { pgShopDatabase } from './pg-database.js';
import type { ShopSeed } from './resources.js';
import { SHOP_RESOURCES } from './resources.js';
import type { Dialect } from './schema.js';
import { shopDdl } from './schema.js';
import type { ShopDatabase } from './shop-database.js';
import type { ShopSnapshot } from './shop-snapshot.js';
import { readSnapshot } from './shop-snapshot.js';
import type { ShopService } from './shop-service.js';
import { startShopService } from './shop-service.js';
import type { ShopUrls } from './shop-urls.js';

/** Where one service keeps its data: an empty database (or schema) of its own. */
export interface DatabaseTarget {
  readonly dialect: Dialect;
  /** For PostgreSQL a URL pinning the schema (`options=-c search_path=<schema>`). */
  readonly url: string;
}

/** Which engine each service runs on in this example. */
export const DEFAULT_PLACEMENT: Readonly<Record<ResourceName, Dialect>> = {
  stock: 'postgres',
  wallet: 'postgres',
  order: 'mysql',
  points: 'mysql',
};

/** What to start. */
export interface ShopWorldOptions {
  /** Directory of the coordinator's SQLite database. */
  readonly dir: string;
  readonly databases: Readonly<Record<ResourceName, DatabaseTarget>>;
  /** Starting inventory, written into the fresh tables. */
  readonly seed: ShopSeed;
  /** The services' XA recovery jobs (default: a pass every 60 s, 300 s grace). */
  readonly recovery?: {
    readonly intervalMs?: number;
    readonly graceMs?: number;
    readonly onReport?: (resource: ResourceName, report: RecoveryReport) => void;
    readonly onError?: (resource: ResourceName, error: unknown) => void;
  };
  /** How often the coordinator looks for due work, ms (default 20). */
  readonly pollIntervalMs?: number;
  /** The coordinator's log level (default `silent`). */
  readonly logLevel?: string;
}

/** A prepared branch and the service holding it. */
export interface HeldBranch extends PreparedBranch {
  readonly resource: ResourceName;
}

/** A started world. */
export interface ShopWorld {
  readonly coordinator: RunningServer;
  readonly accord: AccordClient;
  readonly services: Readonly<Record<ResourceName, ShopService>>;
  readonly urls: ShopUrls;
  readonly dbs: Readonly<Record<ResourceName, ShopDatabase>>;
  /** The coordinator's signing secret, which the services check on every call. */
  readonly secret: string;
  /** The committed state of the four databases. */
  snapshot(): Promise<ShopSnapshot>;
  /** This world's prepared XA branches still in the databases (`pg_prepared_xacts`, `XA RECOVER`). */
  prepared(): Promise<HeldBranch[]>;
  /**
   * Stops everything. Whatever this world left prepared is rolled back on the way (its
   * locks would block dropping the databases), then the pools are closed.
   */
  close(): Promise<void>;
}

/**
 * Opens a service database with a mark of its own for XA, so that recovery never touches
 * another service's (or another run's) prepared transactions on a shared server.
 */
const OPENERS: Record<Dialect, (url: string, mark: XaMark) => ShopDatabase> = {
  postgres: (url, mark) => pgShopDatabase({ url, xaPrefix: mark.prefix }),
  mysql: (url, mark) => mysqlShopDatabase({ url, xaFormatId: mark.formatId }),
};

/** A service's XA mark in both forms: a PostgreSQL prefix and a MySQL format id. */
interface XaMark {
  readonly prefix: string;
  readonly formatId: number;
}

/** Runs every step even when some fail; throws the failures together. */
async function runAll(steps: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several teardown steps failed');
}

/** Rolls back every prepared branch of this service's mark. */
async function discardPrepared(db: ShopDatabase): Promise<void> {
  const report = await db.xa.recover(async () => 'rollback');
  if (report.failed.length > 0) throw report.failed[0]?.error;
}

/**
 * Starts the coordinator, then each service on its database (tables created and seeded).
 *
 * @example
 * const world = await startShopWorld({ dir, databases, seed: { stock: { tea: 100 }, wallets: { ada: 500 } } });
 * const outcome = await checkoutXa(world.accord, world.urls, checkout);
 * await world.close();
 */
export async function startShopWorld(options: ShopWorldOptions): Promise<ShopWorld> {
  const secret = randomBytes(16).toString('hex');
  const tag = randomBytes(4).toString('hex');
  const formatBase = randomInt(1_000_000, 2_000_000_000);
  const coordinator = await startServer(
    loadConfig(
      {},
      {
        ACCORD_PORT: '0',
        ACCORD_DATA_DIR: join(options.dir, 'coordinator'),
        ACCORD_LOG_LEVEL: options.logLevel ?? 'silent',
        ACCORD_SIGNING_SECRET: secret,
        ACCORD_POLL_INTERVAL_MS: String(options.pollIntervalMs ?? 20),
        ACCORD_RETRY_FIRST_MS: '100',
      },
    ),
  );
  const accord = new AccordClient({ url: coordinator.url, signingSecret: secret });
  const dbs: Partial<Record<ResourceName, ShopDatabase>> = {};
  const services: Partial<Record<ResourceName, ShopService>> = {};

  const close = () =>
    runAll([
      // The coordinator first: no phase two may start towards a service already gone.
      () => coordinator.close(),
      () => accord.close(),
      // Rolling back releases the rows local work in flight may be waiting for, so that
      // the services can finish those requests and close; what they prepare meanwhile is
      // rolled back after.
      ...Object.values(dbs).map((db) => () => discardPrepared(db)),
      ...Object.values(services).map((s) => () => s.close()),
      ...Object.values(dbs).map((db) => () => discardPrepared(db)),
      ...Object.values(dbs).map((db) => () => db.close()),
    ]);

  try {
    for (const [i, resource] of RESOURCES.entries()) {
      const target = options.databases[resource];
      const mark = { prefix: `oc-${resource}-${tag}`, formatId: formatBase + i };
      const db = OPENERS[target.dialect](target.url, mark);
      dbs[resource] = db;
      await db.migrate(shopDdl(resource, db.dialect));
      await SHOP_RESOURCES[resource].seed(db.sql, options.seed);
      const r = options.recovery ?? {};
      services[resource] = await startShopService({
        resource: SHOP_RESOURCES[resource],
        db,
        accord,
        secret,
        recovery: {
          ...(r.intervalMs !== undefined && { intervalMs: r.intervalMs }),
          ...(r.graceMs !== undefined && { graceMs: r.graceMs }),
          ...(r.onReport && { onReport: (report) => r.onReport?.(resource, report) }),
          ...(r.onError && { onError: (error) => r.onError?.(resource, error) }),
        },
      });
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }

  const started = services as Record<ResourceName, ShopService>;
  const opened = dbs as Record<ResourceName, ShopDatabase>;
  const urls = Object.fromEntries(RESOURCES.map((r) => [r, started[r].url])) as ShopUrls;
  return {
    coordinator,
    accord,
    services: started,
    urls,
    dbs: opened,
    secret,
    snapshot: () => readSnapshot(opened),
    async prepared() {
      const held = await Promise.all(
        RESOURCES.map(async (resource) =>
          (await opened[resource].xa.preparedXids()).map((b) => ({ ...b, resource })),
        ),
      );
      return held.flat();
    },
    close,
  };
}
