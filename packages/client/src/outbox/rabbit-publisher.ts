/**
 * Publishes outbox messages to RabbitMQ through an amqplib confirm channel: persistent,
 * mandatory, `messageId` = the outbox id, and done only once the broker confirms. The
 * publish itself is the coordinator's (`@accord/protocol/brokers`); this file adds the
 * outbox's channel handling and errors.
 */
import {
  ConfirmedChannel,
  type AmqpPublishOptions,
  type ConfirmChannelLike,
  type ConfirmOutcome,
  type ReturnedMessageLike,
} from '@accord/protocol/brokers';
import { PublishError, withTimeout } from './publish-error.js';
import type { OutboxMessage, OutboxPublisher } from './types.js';

export type { ConfirmChannelLike, ReturnedMessageLike };

/** The publish options this publisher sets (a subset of amqplib's `Options.Publish`). */
export type RabbitPublishOptions = AmqpPublishOptions;

/** Opens a fresh confirm channel, e.g. `() => connection.createConfirmChannel()`. */
export type ConfirmChannelFactory = () => Promise<ConfirmChannelLike>;

/** Options of {@link rabbitPublisher}. */
export interface RabbitPublisherOptions {
  /** The exchange to publish to (`''`: the default exchange, routing key = queue name). */
  exchange: string;
  /** Routing key of a message (default: its topic). */
  routingKey?: (message: OutboxMessage) => string;
  /**
   * Longest wait for the broker's confirm, and for a channel to open, ms (default 10000).
   * Keep it under half the relay's `leaseMs`.
   */
  timeoutMs?: number;
}

/** A RabbitMQ publisher; `close()` closes a channel it opened itself. */
export interface RabbitPublisher extends OutboxPublisher {
  close(): Promise<void>;
}

/** A confirm channel; one we opened is ours to watch. */
function track(channel: ConfirmChannelLike, owned: boolean): ConfirmedChannel {
  // An unheard 'error' would crash the process. Its 'close' follows and pending confirms
  // fail with "channel closed".
  if (owned) channel.on('error', () => undefined);
  return new ConfirmedChannel(channel);
}

function disconnected(what: string, cause: unknown): PublishError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PublishError('PUBLISH_DISCONNECTED', `${what}: ${why}`, { cause });
}

/**
 * A publisher to a RabbitMQ exchange. Each message is sent persistent and `mandatory`,
 * with `messageId` set to the outbox id, `type` to its topic and its headers; it counts as
 * published only when the broker confirms it. A message no queue takes (returned by the
 * broker) and a nack are failures, so the relay retries them.
 *
 * Give it a channel, or better a factory: then a channel lost with its connection is
 * replaced on the next publish. With amqplib's recovering connection the factory can stay
 * this simple, since `createConfirmChannel` waits for the reconnection (bounded by
 * `timeoutMs`); with a plain connection, the factory should reconnect when the old one
 * has closed.
 *
 * @example
 * const connection = await amqp.connect(url, { recovery: { maxRetries: Infinity } });
 * connection.on('error', (error) => log.warn(error));
 * const publisher = rabbitPublisher(() => connection.createConfirmChannel(), { exchange: 'events' });
 * const relay = outbox.relay({ db: pool, publisher });
 */
export function rabbitPublisher(
  source: ConfirmChannelLike | ConfirmChannelFactory,
  options: RabbitPublisherOptions,
): RabbitPublisher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const routingKey = options.routingKey ?? ((m: OutboxMessage) => m.topic);
  const factory = typeof source === 'function' ? source : undefined;
  let current = factory ? undefined : track(source as ConfirmChannelLike, false);
  let opening: Promise<ConfirmedChannel> | undefined;
  let shut = false;

  async function channel(): Promise<ConfirmedChannel> {
    if (current && (!current.closed || !factory)) return current;
    if (!factory) throw new Error('unreachable: a fixed channel is always current');
    current = undefined;
    opening ??= factory()
      .then((ch) => {
        const state = track(ch, true);
        if (shut) ch.close().catch(() => undefined);
        else current = state;
        return state;
      })
      .finally(() => (opening = undefined));
    try {
      return await withTimeout(opening, timeoutMs, 'opening a RabbitMQ channel');
    } catch (error) {
      if (error instanceof PublishError) throw error;
      throw disconnected('opening a RabbitMQ channel failed', error);
    }
  }

  function discard(state: ConfirmedChannel): void {
    if (!factory || current !== state) return;
    current = undefined;
    state.channel.close().catch(() => undefined);
  }

  return {
    async publish(message) {
      if (shut) throw disconnected('RabbitMQ publisher', 'closed');
      const state = await channel();
      if (state.closed) throw disconnected('RabbitMQ channel', 'closed');
      const rk = routingKey(message);
      const outcome = await withTimeout(
        state.publish(options.exchange, rk, Buffer.from(message.payloadJson), {
          persistent: true,
          mandatory: true,
          messageId: message.id,
          contentType: 'application/json',
          type: message.topic,
          timestamp: Math.floor(message.createdAt / 1000),
          headers: { ...message.headers },
        }),
        timeoutMs,
        `confirm of ${message.id}`,
      ).catch((error: unknown) => {
        // A channel that stopped confirming may be wedged: start afresh next time.
        if (error instanceof PublishError && error.code === 'PUBLISH_TIMEOUT') discard(state);
        throw error;
      });
      if (!outcome.ok) throw failure(outcome, message.id, options.exchange, rk);
    },

    async close() {
      shut = true;
      const state = current;
      current = undefined;
      if (factory && state && !state.closed) await state.channel.close().catch(() => undefined);
    },
  };
}

/** The outbox's error for a publish the broker did not confirm. */
function failure(
  outcome: Exclude<ConfirmOutcome, { ok: true }>,
  id: string,
  exchange: string,
  routingKey: string,
): PublishError {
  switch (outcome.reason) {
    case 'unroutable':
      return new PublishError(
        'PUBLISH_UNROUTABLE',
        `no queue is bound to exchange "${exchange}" for routing key "${routingKey}"`,
        { details: { exchange, routingKey, messageId: id } },
      );
    case 'nacked':
      return new PublishError('PUBLISH_NACKED', `broker refused ${id}`, { cause: outcome.error });
    case 'abandoned':
      return disconnected('RabbitMQ publish', outcome.message);
    default:
      return disconnected('RabbitMQ publish', outcome.error); // "channel closed"
  }
}
