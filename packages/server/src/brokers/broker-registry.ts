/**
 * The configured brokers by name, each behind a {@link Publisher}. Connections open on the
 * first publish to a broker, so a broker nobody targets is never contacted, and its
 * client library (amqplib, nats) is not even loaded.
 */
import type { Clock } from '@accord/core';
import { errorText, type BrokerMessage, type PublishResult } from '@accord/protocol/brokers';
import type { BrokerConfig } from './broker-config.js';
import {
  brokerTargetProblem,
  natsSubject,
  rabbitDestination,
  unknownBroker,
  type BrokerTarget,
} from './broker-target.js';
import type { Publisher } from './publisher.js';

/** Settings shared by the publishers of a {@link BrokerRegistry}. */
export interface BrokerRegistryOptions {
  /** Source of message timestamps. */
  readonly clock?: Clock;
  /** Bound on opening one broker connection, ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** NATS: pause between reconnection attempts, ms (default 1000). */
  readonly reconnectWaitMs?: number;
  /** Builds the publisher of one broker; replaces the built-in ones (for tests). */
  readonly createPublisher?: (config: BrokerConfig) => Publisher;
}

/**
 * Publishes to the brokers of `ACCORD_BROKERS`.
 *
 * @example
 * const registry = new BrokerRegistry(parseBrokersSetting(env.ACCORD_BROKERS ?? ''));
 * registry.validateTarget('broker://events/orders/created'); // null when usable
 */
export class BrokerRegistry {
  private readonly configs: readonly BrokerConfig[];
  private readonly publishers = new Map<string, Publisher>();
  private closing: Promise<void> | null = null;

  constructor(configs: readonly BrokerConfig[], options: BrokerRegistryOptions = {}) {
    this.configs = [...configs];
    const create = options.createPublisher ?? ((config) => builtIn(config, options));
    for (const config of configs) {
      if (this.publishers.has(config.name)) {
        throw new Error(`broker "${config.name}" is configured twice`);
      }
      this.publishers.set(config.name, create(config));
    }
  }

  /** Names of the configured brokers, in configuration order. */
  names(): string[] {
    return this.configs.map((config) => config.name);
  }

  /**
   * Why `url` is not a usable broker target here (not `broker://`, malformed, unknown
   * broker, wrong shape for its kind, bad subject), or null if it is.
   */
  validateTarget(url: string): string | null {
    return brokerTargetProblem(url, this.configs);
  }

  /**
   * Publishes `message` to `target` and waits for the broker's confirmation, at most
   * `timeoutMs`. Never throws: every failure is a result with a precise message.
   */
  async publish(
    target: BrokerTarget,
    message: BrokerMessage,
    timeoutMs: number,
  ): Promise<PublishResult> {
    if (this.closing !== null) return { ok: false, message: 'the broker registry is closed' };
    const publisher = this.publishers.get(target.broker);
    if (publisher === undefined) return { ok: false, message: unknownBroker(target, this.configs) };
    try {
      return await publisher.publish(target, message, timeoutMs);
    } catch (error) {
      // Publishers do not throw; this guards the promise made above.
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Closes every broker connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled(
      [...this.publishers.values()].map((publisher) => publisher.close()),
    ).then(() => undefined);
    return this.closing;
  }
}

/**
 * The built-in publisher of a broker: the shared RabbitMQ or NATS publisher, whose module
 * (and driver) is imported on the first publish, behind the target's destination.
 */
function builtIn(config: BrokerConfig, options: BrokerRegistryOptions): Publisher {
  const { name, url } = config;
  const { clock, connectTimeoutMs, reconnectWaitMs } = options;
  type Send = (
    target: BrokerTarget,
    message: BrokerMessage,
    timeoutMs: number,
  ) => Promise<PublishResult>;
  let loaded: Promise<{ send: Send; close(): Promise<void> }> | undefined;
  const load = () =>
    (loaded ??= import('@accord/protocol/brokers').then(({ RabbitPublisher, NatsPublisher }) => {
      if (config.kind === 'rabbitmq') {
        const rabbit = new RabbitPublisher({ name, url, clock, connectTimeoutMs });
        return {
          send: (target, message, timeoutMs) =>
            rabbit.publish(rabbitDestination(target), message, timeoutMs),
          close: () => rabbit.close(),
        };
      }
      const nats = new NatsPublisher({ name, url, connectTimeoutMs, reconnectWaitMs });
      return {
        send: (target, message, timeoutMs) => nats.publish(natsSubject(target), message, timeoutMs),
        close: () => nats.close(),
      };
    }));
  return {
    kind: config.kind,
    publish: async (target, message, timeoutMs) => {
      const { send } = await load();
      try {
        return await send(target, message, timeoutMs);
      } catch (error) {
        // The target's shape for this kind of broker (the publishers themselves never throw).
        return { ok: false, message: errorText(error) };
      }
    },
    close: async () => {
      if (loaded) await (await loaded).close();
    },
  };
}
