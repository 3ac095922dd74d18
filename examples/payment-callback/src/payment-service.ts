/**
 * The payment platform as an HTTP service with its own SQLite database. Completing a
 * payment commits it locally and then hands the merchant's notification to Accord, which
 * owns the delivery: retries on a widening schedule until the merchant acknowledges.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { accordFastifyBodyParser, headerValue, verifySignature } from '@accord/client/participant';
import { ACCORD_HEADERS } from '@accord/client';
import type { NotifierClient, NotifySchedule, SweepResult } from './payment-notifier.js';
import { PaymentNotifier } from './payment-notifier.js';
import { notificationIdOf } from './payment-notice.js';
import type { CoordinatorAlert } from './payment-store.js';
import { PaymentStore } from './payment-store.js';

/** How a payment service is set up. */
export interface PaymentServiceOptions {
  /** The SQLite file of the service's own database. */
  readonly file: string;
  readonly accord: NotifierClient;
  /** Merchant id → the URL its payment callbacks go to. */
  readonly merchants: Readonly<Record<string, string>>;
  /** Redelivery schedule of the notifications (a preset or delays in ms). */
  readonly schedule: NotifySchedule;
  /** Verifies `Accord-Signature` on alerts the coordinator posts to `/ops/alerts`. */
  readonly secret?: string;
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** Also sweep every so many ms while running (default: only at startup). */
  readonly sweepEveryMs?: number;
}

/** Faults the service can be told to show. */
export interface PaymentFaults {
  /**
   * The next so many completions stop right after the local commit, as if the process
   * died there: the payment is paid, its notification never handed over.
   */
  crashesBeforeNotify: number;
}

/** A running payment service. */
export interface PaymentService {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly store: PaymentStore;
  readonly faults: PaymentFaults;
  /** What the startup sweep handed over. */
  readonly startupSweep: SweepResult;
  /** Hands over paid payments not yet notified; see {@link PaymentNotifier.sweep}. */
  sweep(): Promise<SweepResult>;
  /** Stops the HTTP server and closes the database. */
  close(): Promise<void>;
}

const createBody = {
  type: 'object',
  required: ['orderId', 'merchantId', 'amount'],
  additionalProperties: false,
  properties: {
    orderId: { type: 'string', minLength: 1, maxLength: 64 },
    merchantId: { type: 'string', minLength: 1, maxLength: 64 },
    amount: { type: 'integer', minimum: 1 },
  },
} as const;

/**
 * Starts a payment service on 127.0.0.1, then sweeps once: paid payments a previous run
 * committed but did not hand to the coordinator are handed over before anything else.
 *
 * @example
 * const payments = await startPaymentService({
 *   file: './payments.db', accord, schedule: 'wechat',
 *   merchants: { shop: 'https://shop.example/callbacks/payment' },
 * });
 */
export async function startPaymentService(options: PaymentServiceOptions): Promise<PaymentService> {
  const store = new PaymentStore(options.file);
  const notifier = new PaymentNotifier({ store, ...options });
  const faults: PaymentFaults = { crashesBeforeNotify: 0 };
  const app = Fastify({ logger: false });
  accordFastifyBodyParser(app);

  app.post<{ Body: { orderId: string; merchantId: string; amount: number } }>(
    '/payments',
    { schema: { body: createBody } },
    async (request, reply) => {
      const { orderId, merchantId, amount } = request.body;
      if (options.merchants[merchantId] === undefined) {
        return reply.code(400).send({ error: `unknown merchant ${merchantId}` });
      }
      const payment = store.create(merchantId, orderId, amount);
      if (payment.amount !== amount) {
        return reply.code(409).send({ error: `order ${orderId} already has a payment` });
      }
      return reply.code(201).send({ payment });
    },
  );

  app.post<{ Params: { id: string } }>('/payments/:id/complete', async (request, reply) => {
    // 1. The local transaction: the payment is paid, whatever happens next.
    const payment = store.markPaid(request.params.id);
    if (!payment) return reply.code(404).send({ error: 'no such payment' });
    if (faults.crashesBeforeNotify > 0) {
      faults.crashesBeforeNotify -= 1;
      return reply.code(500).send({ error: 'injected crash between commit and notify' });
    }
    // 2. Hand the notification to the coordinator. The two steps are not atomic: a crash
    // (or an unreachable coordinator) between them leaves a paid payment that nobody will
    // tell the merchant about. `notified_at` stays NULL until the coordinator accepted it,
    // and the sweep (at startup, and every `sweepEveryMs`) hands over every paid payment
    // still without it. Doing so twice is harmless: the notification id is derived from
    // the payment, and the coordinator keeps one notification per id.
    if (payment.notifiedAt !== null) {
      return { payment, notification: notificationIdOf(payment.id) };
    }
    try {
      const notification = await notifier.notify(payment);
      return { payment: store.get(payment.id), notification };
    } catch (error) {
      // Still paid; the sweep will hand it over.
      const message = error instanceof Error ? error.message : String(error);
      return { payment, notification: null, problem: message };
    }
  });

  // The merchant's direct query: the result, without waiting for any callback.
  app.get<{ Params: { id: string } }>('/payments/:id', async (request, reply) => {
    const payment = store.get(request.params.id);
    return payment ? { payment } : reply.code(404).send({ error: 'no such payment' });
  });

  // Operators are told when a notification fails for good (ACCORD_ALERT_URL); the alerts
  // are kept in the service's database (`store.alerts()`).
  app.post('/ops/alerts', async (request, reply) => {
    if (options.secret !== undefined) {
      const raw = (request as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
      try {
        // Alerts are signed like branch calls, bound to their gid, branch, op and mode headers.
        const call = {
          gid: headerValue(request.headers, ACCORD_HEADERS.gid) ?? '',
          branchId: headerValue(request.headers, ACCORD_HEADERS.branch) ?? '',
          op: headerValue(request.headers, ACCORD_HEADERS.op) ?? '',
          mode: headerValue(request.headers, ACCORD_HEADERS.mode) ?? '',
        };
        verifySignature(
          options.secret,
          headerValue(request.headers, ACCORD_HEADERS.signature),
          call,
          raw,
        );
      } catch {
        return reply.code(401).send({ error: 'bad signature' });
      }
    }
    const alert = request.body as Partial<CoordinatorAlert> | undefined;
    if (typeof alert?.gid !== 'string' || typeof alert.kind !== 'string') {
      return reply.code(400).send({ error: 'not an alert' });
    }
    store.recordAlert({
      kind: alert.kind,
      gid: alert.gid,
      mode: String(alert.mode),
      reason: String(alert.reason),
      at: String(alert.at),
    });
    return reply.code(204).send();
  });

  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const startupSweep = await notifier.sweep();
  let sweeping: Promise<unknown> | null = null;
  const timer =
    options.sweepEveryMs === undefined
      ? undefined
      : setInterval(() => {
          sweeping ??= notifier
            .sweep()
            .catch(() => undefined) // the database closed under it: the service is stopping
            .finally(() => (sweeping = null));
        }, options.sweepEveryMs).unref();
  return {
    app,
    url,
    store,
    faults,
    startupSweep,
    sweep: () => notifier.sweep(),
    async close() {
      clearInterval(timer);
      await sweeping;
      await app.close();
      store.close();
    },
  };
}
