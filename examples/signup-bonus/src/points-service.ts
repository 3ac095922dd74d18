/**
 * The points service: consumes `user.created` from its queue with manual acks and a
 * prefetch window, grants the sign-up bonus behind the inbox (one MariaDB transaction per
 * message), and only then acknowledges. Delivery is at least once; the inbox makes the
 * effect exactly once.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { ValidationError } from '@accord/client';
import type { GrantOutcome, PointsLedger } from './points-ledger.js';
import { parseUserCreated } from './user-created.js';

/** How the consumer is set up. */
export interface PointsServiceOptions {
  /** The service's database, migrated. */
  readonly ledger: PointsLedger;
  /** The broker's AMQP URL. */
  readonly amqpUrl: string;
  /** The queue to consume (declared with a dead-letter exchange). */
  readonly queue: string;
  /** Unacknowledged messages the broker may hand over at once (default 10). */
  readonly prefetch?: number;
  /**
   * Pause before a message whose grant failed (database down, deadlock) goes back to the
   * queue, ms (default 500), so a broken database is not hammered in a tight loop.
   */
  readonly retryDelayMs?: number;
  /** Told of grants that failed and will be retried. */
  readonly onError?: (error: unknown, message: ConsumeMessage) => void;
}

/** What the consumer did with one delivery. */
export type DeliveryOutcome = GrantOutcome | 'dead-lettered' | 'retried';

/** One delivery, once handled. */
export interface DeliveryRecord {
  /** The AMQP `messageId` (the outbox id), if it had one. */
  readonly messageId: string | undefined;
  /** The broker's flag: delivered before and not acknowledged. */
  readonly redelivered: boolean;
  readonly outcome: DeliveryOutcome;
  /** True if the grant committed but the acknowledgement was "lost" (a fault). */
  readonly ackLost: boolean;
}

/** Faults the consumer can be told to show. */
export interface PointsFaults {
  /**
   * The next so many grants commit, then the message goes back to the queue instead of
   * being acknowledged, as if the service died between its commit and its ack.
   */
  loseAcks: number;
}

/** A running consumer. */
export interface PointsService {
  readonly ledger: PointsLedger;
  readonly faults: PointsFaults;
  /** Every handled delivery, in order of completion. */
  readonly deliveries: readonly DeliveryRecord[];
  /** Deliveries of one message id. */
  deliveriesOf(messageId: string): DeliveryRecord[];
  /** Deliveries being handled right now. */
  readonly inFlight: number;
  /**
   * Stops consuming, lets the deliveries in hand finish, and closes the connection (the
   * broker requeues anything unacknowledged). The ledger stays open: the caller's.
   */
  stop(): Promise<void>;
}

/** Acks, nacks and rejects on a channel that may have closed meanwhile: then the broker requeues. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // The channel is gone; the message is redelivered and the inbox skips it.
  }
}

/**
 * Starts consuming. A message whose payload is unusable (not JSON, no user id, no
 * message id) is rejected without requeue, so the queue's dead-letter exchange takes it
 * and it never blocks the queue. A grant that fails for any other reason is requeued after
 * `retryDelayMs`. The connection recovers by itself and resubscribes.
 *
 * @example
 * const points = await startPointsService({ ledger, amqpUrl, queue: topology.queue });
 * // on shutdown
 * await points.stop();
 */
export async function startPointsService(options: PointsServiceOptions): Promise<PointsService> {
  const { ledger, queue } = options;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const faults: PointsFaults = { loseAcks: 0 };
  const deliveries: DeliveryRecord[] = [];
  const handling = new Set<Promise<void>>();
  let current: { channel: Channel; consumerTag: string } | undefined;
  let stopping = false;

  async function handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const id = message.properties.messageId as unknown;
    const record = (outcome: DeliveryOutcome, ackLost = false) =>
      deliveries.push({
        messageId: typeof id === 'string' ? id : undefined,
        redelivered: message.fields.redelivered,
        outcome,
        ackLost,
      });
    let outcome: GrantOutcome;
    try {
      outcome = await ledger.grantSignupBonus(parseUserCreated(id, message.content));
    } catch (error) {
      if (error instanceof ValidationError) {
        settle(() => channel.reject(message, false));
        record('dead-lettered');
        return;
      }
      try {
        options.onError?.(error, message);
      } catch {
        // A throwing listener must not lose the message.
      }
      await new Promise((r) => setTimeout(r, retryDelayMs));
      settle(() => channel.nack(message, false, true));
      record('retried');
      return;
    }
    if (outcome === 'granted' && faults.loseAcks > 0) {
      faults.loseAcks -= 1;
      settle(() => channel.nack(message, false, true));
      record(outcome, true);
      return;
    }
    settle(() => channel.ack(message));
    record(outcome);
  }

  async function subscribe(model: ChannelModel): Promise<void> {
    if (stopping) throw new Error('the points service is stopping');
    const channel = await model.createChannel();
    channel.on('error', () => undefined); // its 'close' follows
    // A channel the broker closed on its own (the connection still up) would leave the
    // service deaf: close the connection too, and recovery reconnects and resubscribes.
    channel.on('close', () => {
      if (!stopping) model.close().catch(() => undefined);
    });
    await channel.prefetch(options.prefetch ?? 10);
    const { consumerTag } = await channel.consume(queue, (message) => {
      if (message === null) return; // cancelled by the broker (the queue was deleted)
      const done = handle(channel, message).finally(() => handling.delete(done));
      handling.add(done);
    });
    current = { channel, consumerTag };
  }

  const connection = await amqp.connect(options.amqpUrl, {
    recovery: {
      initialDelay: 50,
      maxDelay: 1000,
      maxRetries: Infinity,
      // A queue that does not exist fails the setup: give up at start rather than loop.
      initialMaxRetries: 3,
      setup: subscribe,
    },
  });
  connection.on('error', () => undefined);

  return {
    ledger,
    faults,
    deliveries,
    deliveriesOf: (messageId) => deliveries.filter((d) => d.messageId === messageId),
    get inFlight() {
      return handling.size;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      const subscribed = current;
      current = undefined;
      await subscribed?.channel.cancel(subscribed.consumerTag).catch(() => undefined);
      await Promise.allSettled([...handling]);
      await connection.close();
    },
  };
}
