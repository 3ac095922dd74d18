/**
 * Publishes to RabbitMQ on a confirm channel: persistent, mandatory messages that count as
 * delivered only once the broker acks them. One connection and confirm channel per broker,
 * opened on first use and reopened on the next publish after either goes away. amqplib is
 * loaded with the first connection, so importing this module costs nothing.
 */
import type { ChannelModel } from 'amqplib';
import { systemClock, type Clock } from '@accord/core';
import { ConfirmedChannel, type ConfirmChannelLike, type ConfirmOutcome } from './amqp-confirm.js';
import {
  errorText,
  publishWithin,
  type Attempt,
  type BrokerMessage,
  type PublishResult,
} from './publish-within.js';
import { redactBrokerUrl } from './redact-url.js';
import { SharedLink } from './shared-link.js';

/** Where a RabbitMQ message goes. */
export interface RabbitDestination {
  /** Exchange name; `''` is the default exchange. */
  readonly exchange: string;
  readonly routingKey: string;
}

/** Settings of a {@link RabbitPublisher}. */
export interface RabbitPublisherOptions {
  /** Broker name, used in messages. */
  readonly name: string;
  /** `amqp://` or `amqps://` URL (a `heartbeat` query parameter is honoured). */
  readonly url: string;
  /** Source of the AMQP `timestamp` property. */
  readonly clock?: Clock;
  /** Bound on opening the TCP connection, ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Heartbeat when the URL sets none, seconds (default 10): detects a silently dead peer. */
  readonly heartbeatSeconds?: number;
}

/** One open connection and what it has said about itself. */
interface LinkState {
  readonly model: ChannelModel;
  dead: boolean;
  /** Why the connection or channel went away, when the broker or socket said. */
  reason: string | null;
  /** Set while the broker blocks publishers (resource alarm). */
  blocked: string | null;
}

/** An open connection with its confirm channel. */
interface Link extends LinkState {
  readonly confirmed: ConfirmedChannel;
  /** Exchanges known to exist on this connection. */
  readonly exchanges: Set<string>;
}

/**
 * Headers RabbitMQ acts on (sender-selected distribution copies the message to the queues
 * they name), so a transaction's headers may not set them.
 */
const ROUTING_HEADERS = /^b?cc$/i;

/**
 * A RabbitMQ publisher that owns its connection. Never throws; every failure is a result
 * with a precise message.
 *
 * @example
 * const events = new RabbitPublisher({ name: 'events', url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await events.publish({ exchange: 'orders', routingKey: 'created' }, { id, body, headers: {} }, 5000);
 */
export class RabbitPublisher {
  private readonly clock: Clock;
  private readonly label: string;
  private readonly links = new SharedLink<Link>(() => this.open());

  constructor(private readonly options: RabbitPublisherOptions) {
    this.clock = options.clock ?? systemClock;
    this.label = `RabbitMQ broker "${options.name}"`;
  }

  /** Publishes and waits for the broker's confirmation, at most `timeoutMs`. */
  async publish(
    destination: RabbitDestination,
    message: BrokerMessage,
    timeoutMs: number,
  ): Promise<PublishResult> {
    return publishWithin(
      timeoutMs,
      (attempt) => this.send(destination, message, attempt),
      (phase) => `${this.label}: timed out after ${timeoutMs} ms ${phase}`,
      (error) => `${this.label}: ${errorText(error)}`,
    );
  }

  /** Closes the connection; later publishes fail. */
  async close(): Promise<void> {
    await this.links.close((link) => link.model.close());
  }

  private async send(
    destination: RabbitDestination,
    message: BrokerMessage,
    attempt: Attempt,
  ): Promise<PublishResult> {
    attempt.phase = `connecting to ${redactBrokerUrl(this.options.url)}`;
    const link = await this.links.get();
    if (link.blocked !== null) {
      return { ok: false, message: `${this.label} is blocking publishers (${link.blocked})` };
    }
    const { exchange, routingKey } = destination;
    if (exchange !== '' && !link.exchanges.has(exchange)) {
      attempt.phase = `checking that exchange "${exchange}" exists`;
      await this.checkExchange(link, exchange);
    }
    attempt.phase = 'waiting for the broker to confirm';
    const headers = Object.fromEntries(
      Object.entries(message.headers).filter(([key]) => !ROUTING_HEADERS.test(key)),
    );
    const outcome = await link.confirmed.publish(
      exchange,
      routingKey,
      Buffer.from(message.body, 'utf8'),
      {
        persistent: true,
        mandatory: true,
        messageId: message.id,
        timestamp: Math.floor(this.clock.now() / 1000),
        headers,
        ...(message.body === '' ? {} : { contentType: 'application/json' }),
      },
      () => {
        if (attempt.expired) return 'timed out before publishing';
        if (link.dead) return this.lostMessage(link, 'before publishing');
        return null;
      },
    );
    return this.result(link, destination, outcome);
  }

  private result(
    link: Link,
    { exchange, routingKey }: RabbitDestination,
    outcome: ConfirmOutcome,
  ): PublishResult {
    if (outcome.ok) return { ok: true, duplicate: false };
    switch (outcome.reason) {
      case 'abandoned':
        return { ok: false, message: outcome.message };
      case 'unroutable':
        return {
          ok: false,
          message:
            exchange === ''
              ? `unroutable: no queue named "${routingKey}" (default exchange)`
              : `unroutable: no queue bound for exchange "${exchange}" key "${routingKey}"`,
        };
      case 'nacked':
        return {
          ok: false,
          message: `${this.label} refused the message (nack): it was not stored`,
        };
      case 'closed':
        return { ok: false, message: this.lostMessage(link, 'before confirming the message') };
      case 'thrown':
        return { ok: false, message: `${this.label}: ${errorText(outcome.error)}` };
    }
  }

  private async open(): Promise<Link> {
    let model: ChannelModel;
    try {
      const { default: amqp } = await import('amqplib');
      model = await amqp.connect(this.connectUrl(), {
        timeout: this.options.connectTimeoutMs ?? 5000,
        clientProperties: { connection_name: `accord coordinator (${this.options.name})` },
      });
    } catch (error) {
      throw new Error(
        `cannot connect to ${redactBrokerUrl(this.options.url)}: ${errorText(error)}`,
        { cause: error },
      );
    }
    const state: LinkState = { model, dead: false, reason: null, blocked: null };
    // Listeners go on before anything can fail: an 'error' without one would crash the process.
    model.on('error', (error: unknown) => (state.reason ??= errorText(error)));
    model.on('close', () => (state.dead = true));
    model.on('blocked', (reason: string) => (state.blocked = reason || 'resource alarm'));
    model.on('unblocked', () => (state.blocked = null));
    let channel: ConfirmChannelLike;
    try {
      channel = await model.createConfirmChannel();
    } catch (error) {
      await model.close().catch(() => undefined);
      throw new Error(`cannot open a confirm channel: ${errorText(error)}`, { cause: error });
    }
    const link: Link = Object.assign(state, {
      confirmed: new ConfirmedChannel(channel),
      exchanges: new Set<string>(),
    });
    channel.on('error', (error: unknown) => (state.reason ??= errorText(error)));
    // A channel the broker closed (e.g. an exchange deleted under it) is not reopened in
    // place: the whole link is dropped and the next publish starts afresh.
    channel.on('close', () => {
      if (state.dead) return;
      state.dead = true;
      model.close().catch(() => undefined);
    });
    if (state.dead || this.links.closed) {
      state.dead = true;
      await model.close().catch(() => undefined);
      throw new Error(state.reason ?? 'the connection closed while opening');
    }
    return link;
  }

  private connectUrl(): string {
    const url = new URL(this.options.url);
    if (!url.searchParams.has('heartbeat')) {
      url.searchParams.set('heartbeat', String(this.options.heartbeatSeconds ?? 10));
    }
    return url.toString();
  }

  /**
   * Declares the exchange passively on a throwaway channel, so a missing exchange is
   * reported precisely and does not close the shared confirm channel under other publishes.
   */
  private async checkExchange(link: Link, exchange: string): Promise<void> {
    const probe = await link.model.createChannel();
    probe.on('error', () => undefined);
    try {
      await probe.checkExchange(exchange);
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) {
        throw new Error(`exchange "${exchange}" does not exist`, { cause: error });
      }
      throw error;
    }
    link.exchanges.add(exchange);
    await probe.close().catch(() => undefined);
  }

  private lostMessage(link: Link, when: string): string {
    return `${this.label}: the connection or channel closed ${when}${link.reason === null ? '' : ` (${link.reason})`}`;
  }
}
