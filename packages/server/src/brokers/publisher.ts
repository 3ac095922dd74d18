/**
 * The small interface every broker kind implements, so the registry and the branch caller
 * treat RabbitMQ and NATS alike.
 */
import type { BrokerMessage, PublishResult } from '@accord/protocol/brokers';

export type { BrokerMessage, PublishResult };
import type { BrokerKind } from './broker-config.js';
import type { BrokerTarget } from './broker-target.js';

/** Publishes to one configured broker; never throws, never outlives its timeout. */
export interface Publisher {
  readonly kind: BrokerKind;
  /** Publishes and waits for the broker's confirmation, at most `timeoutMs`. */
  publish(target: BrokerTarget, message: BrokerMessage, timeoutMs: number): Promise<PublishResult>;
  /** Closes the connection; later publishes fail. */
  close(): Promise<void>;
}
