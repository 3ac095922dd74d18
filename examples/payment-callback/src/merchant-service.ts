/**
 * A merchant as an HTTP service with its own SQLite database: it opens payments for its
 * orders at the payment platform, receives the platform's payment callbacks (delivered by
 * Accord), and applies each payment to its order exactly once.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { BusinessFailure } from '@accord/client';
import {
  accordFastifyBodyParser,
  headerValue,
  readAccordContext,
  verifySignature,
} from '@accord/client/participant';
import type { AccordContext } from '@accord/client/participant';
import { ACCORD_HEADERS } from '@accord/client';
import type { CallbackFaultOptions } from './callback-faults.js';
import { CallbackFaults } from './callback-faults.js';
import type {
  NotificationQueryClient,
  ReconcileEntry,
  ReconcileOptions,
} from './merchant-reconcile.js';
import { reconcileOrders } from './merchant-reconcile.js';
import { MerchantStore } from './merchant-store.js';
import { isPaymentNotice, notificationIdOf, PAYMENT_ACK } from './payment-notice.js';

/** How a merchant service is set up. */
export interface MerchantServiceOptions {
  /** The merchant's id at the payment platform. */
  readonly id: string;
  /** The SQLite file of the merchant's own database. */
  readonly file: string;
  /** The coordinator's signing secret: callbacks without a valid signature get 401. */
  readonly secret: string | readonly string[];
  /** Used by {@link MerchantService.reconcile}. */
  readonly accord: NotificationQueryClient;
  /** Base URL of the payment platform. */
  readonly paymentsUrl: string;
  readonly faults?: CallbackFaultOptions;
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
}

/** How the callback endpoint answered, by kind. */
export interface CallbackStats {
  /** Every request to the callback endpoint. */
  received: number;
  /** Refused with 401: signature missing, stale or wrong. */
  rejected: number;
  /** Answered 503 by an injected fault. */
  refused: number;
  applied: number;
  /** Deliveries of a notification already applied: acknowledged, nothing changed. */
  duplicates: number;
  /** Applied (or duplicate) but answered 500 by an injected fault. */
  lostAcks: number;
}

/** A running merchant service. */
export interface MerchantService {
  readonly id: string;
  readonly app: FastifyInstance;
  readonly url: string;
  /** Where the payment platform sends this merchant's payment callbacks. */
  readonly callbackUrl: string;
  readonly store: MerchantStore;
  readonly faults: CallbackFaults;
  readonly stats: CallbackStats;
  /** Creates an order and opens its payment at the payment platform. */
  checkout(orderId: string, amount: number): Promise<{ orderId: string; paymentId: string }>;
  /** Applies what the coordinator knows of orders still unpaid; see {@link reconcileOrders}. */
  reconcile(options?: ReconcileOptions): Promise<ReconcileEntry[]>;
  /** Stops the HTTP server and closes the database. */
  close(): Promise<void>;
}

const orderBody = {
  type: 'object',
  required: ['orderId', 'amount'],
  additionalProperties: false,
  properties: {
    orderId: { type: 'string', minLength: 1, maxLength: 64 },
    amount: { type: 'integer', minimum: 1 },
  },
} as const;

/**
 * Starts a merchant service on 127.0.0.1.
 *
 * @example
 * const shop = await startMerchantService({
 *   id: 'shop', file: './shop.db', secret, accord, paymentsUrl: 'http://127.0.0.1:7100',
 * });
 * await shop.checkout('order-1', 1999);
 */
export async function startMerchantService(
  options: MerchantServiceOptions,
): Promise<MerchantService> {
  const store = new MerchantStore(options.file);
  const faults = new CallbackFaults(options.faults);
  const stats: CallbackStats = {
    received: 0,
    rejected: 0,
    refused: 0,
    applied: 0,
    duplicates: 0,
    lostAcks: 0,
  };
  const app = Fastify({ logger: false });
  accordFastifyBodyParser(app); // keeps the raw body: the signature covers its exact bytes

  async function checkout(orderId: string, amount: number) {
    store.createOrder(orderId, amount);
    const response = await fetch(`${options.paymentsUrl}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId, merchantId: options.id, amount }),
    });
    const answer = (await response.json()) as { payment?: { id: string }; error?: string };
    if (!response.ok || !answer.payment) {
      throw new Error(
        `payment platform refused order ${orderId}: ${answer.error ?? response.status}`,
      );
    }
    store.attachPayment(orderId, answer.payment.id);
    return { orderId, paymentId: answer.payment.id };
  }

  app.post('/callbacks/payment', async (request, reply) => {
    stats.received += 1;
    const text = (status: number, body: string) => reply.code(status).type('text/plain').send(body);
    const raw = (request as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
    let ctx: AccordContext;
    try {
      ctx = readAccordContext(request.headers);
    } catch (error) {
      return text(400, (error as Error).message);
    }
    try {
      // The signature binds this call (notification id, branch, op) and its body.
      const signature = headerValue(request.headers, ACCORD_HEADERS.signature);
      verifySignature(options.secret, signature, ctx, raw);
    } catch {
      stats.rejected += 1;
      return text(401, 'bad signature');
    }
    const notice = request.body;
    // The notification id is the dedup key: it must also name the payment in the body.
    if (!isPaymentNotice(notice) || ctx.gid !== notificationIdOf(notice.paymentId)) {
      return text(400, 'not a payment notification');
    }
    if (faults.takeFailure()) {
      stats.refused += 1;
      return text(503, 'busy, try later');
    }
    let outcome;
    try {
      outcome = store.applyPayment(ctx.gid, notice, 'callback');
    } catch (error) {
      if (error instanceof BusinessFailure) return text(409, error.message);
      throw error;
    }
    if (outcome === 'applied') stats.applied += 1;
    else stats.duplicates += 1;
    if (faults.takeLostAck()) {
      stats.lostAcks += 1;
      return text(500, 'applied, but the answer was lost');
    }
    return text(200, PAYMENT_ACK);
  });

  app.post<{ Body: { orderId: string; amount: number } }>(
    '/orders',
    { schema: { body: orderBody } },
    async (request, reply) => {
      const created = await checkout(request.body.orderId, request.body.amount);
      return reply.code(201).send(created);
    },
  );

  app.get<{ Params: { id: string } }>('/orders/:id', async (request, reply) => {
    const order = store.order(request.params.id);
    return order ? { order } : reply.code(404).send({ error: 'no such order' });
  });

  const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  return {
    id: options.id,
    app,
    url,
    callbackUrl: `${url}/callbacks/payment`,
    store,
    faults,
    stats,
    checkout,
    reconcile: (reconcileOptions) => reconcileOrders(store, options.accord, reconcileOptions),
    async close() {
      await app.close();
      store.close();
    },
  };
}
