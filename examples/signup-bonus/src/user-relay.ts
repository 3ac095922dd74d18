/**
 * The relay of the user service's outbox: claims pending rows, publishes each to the
 * RabbitMQ exchange (persistent, mandatory, confirmed) and marks it sent. It runs beside
 * the service or in a process of its own; any number may run at once.
 */
import amqp from 'amqplib';
import pg from 'pg';
import {
  rabbitPublisher,
  type OutboxPublisher,
  type OutboxRelay,
  type PgOutbox,
  type RelayErrorInfo,
  type RelayRetryOptions,
} from '@accord/client/outbox';

/** How a relay is set up. */
export interface UserRelayOptions {
  /** PostgreSQL URL of the user service's schema; the relay opens a small pool of its own. */
  readonly url: string;
  /** The user service's outbox (same table). */
  readonly outbox: PgOutbox;
  /** The broker's AMQP URL. */
  readonly amqpUrl: string;
  /** The exchange to publish to; the routing key is the topic (`user.created`). */
  readonly exchange: string;
  /** Its name in `lease_owner` (default: host, pid and a random suffix). */
  readonly owner?: string;
  /** How long a claim holds its rows, ms (default 10000). */
  readonly leaseMs?: number;
  /** Longest wait for a confirm or a channel, ms (default a quarter of `leaseMs`). */
  readonly publishTimeoutMs?: number;
  /** Pause after a cycle that found little to do, ms (default 200). */
  readonly intervalMs?: number;
  /** Rows claimed per cycle (default 50). */
  readonly batchSize?: number;
  /** Publishes in flight at once (default 4). */
  readonly concurrency?: number;
  /** Backoff of failed publishes (default: from 100 ms, doubling, at most 2 s). */
  readonly retry?: RelayRetryOptions;
  /** Longest pause between two reconnection attempts to the broker, ms (default 1000). */
  readonly reconnectMaxDelayMs?: number;
  /** false: no background loop; drive it with `relay.runOnce()` (default true). */
  readonly autoStart?: boolean;
  /** Wraps the RabbitMQ publisher, e.g. to observe publishes or inject faults. */
  readonly wrapPublisher?: (publisher: OutboxPublisher) => OutboxPublisher;
  /** Told of every failure; the row keeps `last_error` and is retried. */
  readonly onError?: (error: unknown, info: RelayErrorInfo) => void;
}

/** A running relay. */
export interface UserRelay {
  /** The `lease_owner` it writes. */
  readonly owner: string;
  readonly relay: OutboxRelay;
  /** Starts the next cycle now. */
  wake(): void;
  /** Stops the loop (publishes in flight finish), then closes the broker connection and pool. */
  stop(): Promise<void>;
}

/**
 * Starts a relay. Its connection to the broker recovers by itself: while RabbitMQ is
 * unreachable every publish fails within `publishTimeoutMs`, the rows stay pending with
 * `last_error` and back off, and they go out once the broker is back. The relay does not
 * wait for the broker to start, so it also starts while RabbitMQ is down.
 *
 * @example
 * const relay = await startUserRelay({ url, outbox, amqpUrl: 'amqp://127.0.0.1', exchange: 'events' });
 * // on shutdown
 * await relay.stop();
 */
export async function startUserRelay(options: UserRelayOptions): Promise<UserRelay> {
  const leaseMs = options.leaseMs ?? 10_000;
  const pool = new pg.Pool({ connectionString: options.url, max: 2 });
  const connection = await amqp.connect(options.amqpUrl, {
    recovery: {
      initialDelay: 50,
      maxDelay: options.reconnectMaxDelayMs ?? 1000,
      maxRetries: Infinity,
      waitForConnect: false,
    },
  });
  // Losses are reported through the failed publishes; an unheard 'error' would crash.
  connection.on('error', () => undefined);
  const rabbit = rabbitPublisher(() => connection.createConfirmChannel(), {
    exchange: options.exchange,
    timeoutMs: options.publishTimeoutMs ?? Math.floor(leaseMs / 4),
  });
  const shut = async () => {
    await rabbit.close();
    await connection.close();
    await pool.end();
  };
  let relay: OutboxRelay;
  try {
    relay = options.outbox.relay({
      db: pool,
      publisher: options.wrapPublisher ? options.wrapPublisher(rabbit) : rabbit,
      leaseMs,
      intervalMs: options.intervalMs ?? 200,
      batchSize: options.batchSize ?? 50,
      concurrency: options.concurrency ?? 4,
      retry: options.retry ?? { firstDelayMs: 100, factor: 2, maxDelayMs: 2000 },
      ...(options.owner !== undefined && { owner: options.owner }),
      ...(options.autoStart !== undefined && { autoStart: options.autoStart }),
      ...(options.onError && { onError: options.onError }),
    });
  } catch (error) {
    // Invalid options (ValidationError): nothing may stay open.
    await shut();
    throw error;
  }
  return {
    owner: relay.owner,
    relay,
    wake: () => relay.wake(),
    async stop() {
      await relay.stop();
      await shut();
    },
  };
}
