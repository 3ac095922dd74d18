/**
 * Publishes outbox messages to RabbitMQ through an amqplib confirm channel: persistent,
 * mandatory, `messageId` = the outbox id, and done only once the broker confirms.
 */
import { PublishError, withTimeout } from './publish-error.js';
import type { OutboxMessage, OutboxPublisher } from './types.js';

/** A message the broker handed back (amqplib's `Message` fits). */
export interface ReturnedMessageLike {
  readonly properties: { readonly messageId?: unknown };
}

/** The publish options this publisher sets (a subset of amqplib's `Options.Publish`). */
export interface RabbitPublishOptions {
  persistent: boolean;
  mandatory: boolean;
  messageId: string;
  contentType: string;
  type: string;
  timestamp: number;
  headers: Record<string, string>;
}

/**
 * What the publisher needs of an amqplib `ConfirmChannel` (from
 * `connection.createConfirmChannel()`).
 */
export interface ConfirmChannelLike {
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: RabbitPublishOptions,
    callback: (error: unknown) => void,
  ): boolean;
  on(event: 'return' | 'close' | 'error', listener: (value?: unknown) => void): unknown;
  close(): Promise<void>;
}

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

/** One channel and what it told us. */
class ChannelState {
  /** Message ids the broker returned as unroutable, until their confirm is read. */
  readonly returned = new Set<string>();
  closed = false;

  constructor(
    readonly channel: ConfirmChannelLike,
    owned: boolean,
  ) {
    channel.on('return', (message) => {
      const id = (message as ReturnedMessageLike | undefined)?.properties.messageId;
      if (typeof id === 'string') this.returned.add(id);
    });
    channel.on('close', () => {
      this.closed = true;
    });
    // A channel we opened is ours to watch: an unheard 'error' would crash the process.
    // Its 'close' follows and pending confirms fail with "channel closed".
    if (owned) channel.on('error', () => undefined);
  }
}

/** amqplib's error for a nack; any other confirm error means the channel closed. */
const NACKED = 'message nacked';

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
  let current = factory ? undefined : new ChannelState(source as ConfirmChannelLike, false);
  let opening: Promise<ChannelState> | undefined;
  let shut = false;

  async function channel(): Promise<ChannelState> {
    if (current && (!current.closed || !factory)) return current;
    if (!factory) throw new Error('unreachable: a fixed channel is always current');
    current = undefined;
    opening ??= factory()
      .then((ch) => {
        const state = new ChannelState(ch, true);
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

  function discard(state: ChannelState): void {
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
      state.returned.delete(message.id);
      const confirmed = new Promise<void>((resolve, reject) => {
        const settle = (error: unknown) => {
          if (error === null || error === undefined) resolve();
          else if (error instanceof Error && error.message === NACKED) {
            reject(
              new PublishError('PUBLISH_NACKED', `broker refused ${message.id}`, { cause: error }),
            );
          } else reject(disconnected('RabbitMQ publish', error)); // "channel closed"
        };
        try {
          state.channel.publish(
            options.exchange,
            rk,
            Buffer.from(message.payloadJson),
            {
              persistent: true,
              mandatory: true,
              messageId: message.id,
              contentType: 'application/json',
              type: message.topic,
              timestamp: Math.floor(message.createdAt / 1000),
              headers: { ...message.headers },
            },
            settle,
          );
        } catch (error) {
          reject(disconnected('RabbitMQ publish', error));
        }
      });
      try {
        await withTimeout(confirmed, timeoutMs, `confirm of ${message.id}`);
      } catch (error) {
        // A channel that stopped confirming may be wedged: start afresh next time.
        if (error instanceof PublishError && error.code === 'PUBLISH_TIMEOUT') discard(state);
        throw error;
      }
      // The broker sends basic.return before the confirm of the same message.
      if (state.returned.delete(message.id)) {
        throw new PublishError(
          'PUBLISH_UNROUTABLE',
          `no queue is bound to exchange "${options.exchange}" for routing key "${rk}"`,
          { details: { exchange: options.exchange, routingKey: rk, messageId: message.id } },
        );
      }
    },

    async close() {
      shut = true;
      const state = current;
      current = undefined;
      if (factory && state && !state.closed) await state.channel.close().catch(() => undefined);
    },
  };
}
