/**
 * `@accord/protocol/brokers`: publishing to RabbitMQ and NATS JetStream, shared by the
 * coordinator's broker deliveries and the SDK's outbox relay. The per-message parts work on
 * channels and clients the caller owns (structural types, no driver needed); the
 * publishers that own their connection load `amqplib` or `nats` (optional peer
 * dependencies) only when they first connect.
 *
 * @example
 * import { RabbitPublisher } from '@accord/protocol/brokers';
 * const events = new RabbitPublisher({ name: 'events', url: 'amqp://127.0.0.1:5672' });
 */
export {
  ConfirmedChannel,
  type AmqpPublishOptions,
  type ConfirmChannelLike,
  type ConfirmOutcome,
  type ReturnedMessageLike,
} from './amqp-confirm.js';
export {
  publishToStream,
  streamFailure,
  type JetStreamLike,
  type NatsHeadersLike,
  type PubAckLike,
  type StreamFailureKind,
  type StreamMessage,
  type StreamPublishOptions,
} from './jetstream.js';
export { errorText, type BrokerMessage, type PublishResult } from './publish-within.js';
export { redactBrokerUrl } from './redact-url.js';
export {
  RabbitPublisher,
  type RabbitDestination,
  type RabbitPublisherOptions,
} from './rabbitmq-publisher.js';
export { NatsPublisher, type NatsPublisherOptions } from './nats-publisher.js';
