/**
 * The whole example in one process: a coordinator (SQLite store), a payment platform and
 * some merchants, each service with its own SQLite file under one directory. Used by the
 * demo and the tests.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { AccordClient } from '@accord/client';
import type { RunningServer } from '@accord/server';
import { loadConfig, startServer } from '@accord/server';
import type { CallbackFaultOptions } from './callback-faults.js';
import type { MerchantService } from './merchant-service.js';
import { startMerchantService } from './merchant-service.js';
import type { PaymentService } from './payment-service.js';
import { startPaymentService } from './payment-service.js';

/** What to start. */
export interface PaymentWorldOptions {
  /** Directory for every database (coordinator, platform, merchants). */
  readonly dir: string;
  /** Delays (ms) before each redelivery of a payment notification. */
  readonly schedule: number[];
  readonly merchants: ReadonlyArray<{
    readonly id: string;
    readonly faults?: CallbackFaultOptions;
  }>;
  /** How often the coordinator looks for due work, ms (default 20). */
  readonly pollIntervalMs?: number;
  /** The coordinator's log level (default `silent`). */
  readonly logLevel?: string;
}

/** A started world. */
export interface PaymentWorld {
  readonly coordinator: RunningServer;
  readonly accord: AccordClient;
  /** The coordinator's signing secret, which the merchants verify callbacks with. */
  readonly secret: string;
  /** The payment platform as it runs now (a new instance after {@link restartPayments}). */
  readonly payments: PaymentService;
  readonly merchants: ReadonlyMap<string, MerchantService>;
  /** The merchant with this id; throws when there is none. */
  merchant(id: string): MerchantService;
  /** Stops the payment platform and starts it again on the same database and port. */
  restartPayments(): Promise<PaymentService>;
  /** Stops everything (the directory is the caller's). */
  close(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
async function reservePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts the coordinator, the merchants, then the payment platform. The platform's port
 * is chosen first: the coordinator posts its alerts there, and merchants open payments
 * there.
 *
 * @example
 * const world = await startPaymentWorld({ dir, schedule: [200, 400], merchants: [{ id: 'shop' }] });
 */
export async function startPaymentWorld(options: PaymentWorldOptions): Promise<PaymentWorld> {
  const secret = randomBytes(16).toString('hex');
  const paymentsPort = await reservePort();
  const paymentsUrl = `http://127.0.0.1:${paymentsPort}`;
  const coordinator = await startServer(
    loadConfig(
      {},
      {
        ACCORD_PORT: '0',
        ACCORD_DATA_DIR: join(options.dir, 'coordinator'),
        ACCORD_LOG_LEVEL: options.logLevel ?? 'silent',
        ACCORD_SIGNING_SECRET: secret,
        ACCORD_POLL_INTERVAL_MS: String(options.pollIntervalMs ?? 20),
        ACCORD_ALERT_URL: `${paymentsUrl}/ops/alerts`,
      },
    ),
  );
  const accord = new AccordClient({ url: coordinator.url, signingSecret: secret });
  const merchants = new Map<string, MerchantService>();
  const startPayments = () =>
    startPaymentService({
      file: join(options.dir, 'payments.db'),
      accord,
      merchants: Object.fromEntries([...merchants].map(([id, s]) => [id, s.callbackUrl])),
      schedule: options.schedule,
      secret,
      port: paymentsPort,
    });
  let payments: PaymentService | undefined;
  // The coordinator first: no delivery may start towards a service already gone.
  const closeAll = async () => {
    await coordinator.close();
    await accord.close();
    await payments?.close();
    for (const service of merchants.values()) await service.close();
  };
  try {
    for (const m of options.merchants) {
      const service = await startMerchantService({
        id: m.id,
        file: join(options.dir, `merchant-${m.id}.db`),
        secret,
        accord,
        paymentsUrl,
        ...(m.faults && { faults: m.faults }),
      });
      merchants.set(m.id, service);
    }
    payments = await startPayments();
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }
  return {
    coordinator,
    accord,
    secret,
    get payments() {
      if (!payments) throw new Error('the payment platform is not running (a restart failed)');
      return payments;
    },
    merchants,
    merchant(id) {
      const service = merchants.get(id);
      if (!service) throw new Error(`no merchant ${id}`);
      return service;
    },
    async restartPayments() {
      const stopping = payments;
      payments = undefined;
      await stopping?.close();
      payments = await startPayments();
      return payments;
    },
    close: closeAll,
  };
}
