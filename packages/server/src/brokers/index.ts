/** Message-broker targets (`broker://<name>/...`): settings, parsing, publishers, caller. */
export {
  BROKER_NAME_PATTERN,
  BrokerConfigError,
  brokerKindOf,
  checkBrokerUrl,
  parseBrokersSetting,
  redactBrokerUrl,
  type BrokerConfig,
  type BrokerKind,
} from './broker-config.js';
export {
  BrokerTargetError,
  brokerTargetProblem,
  checkDestination,
  isBrokerTarget,
  natsSubject,
  parseBrokerTarget,
  rabbitDestination,
  subjectProblem,
  type BrokerTarget,
  type RabbitDestination,
} from './broker-target.js';
export type { BrokerMessage, Publisher, PublishResult } from './publisher.js';
export { RabbitPublisher, type RabbitPublisherOptions } from './rabbitmq-publisher.js';
export { NatsPublisher, type NatsPublisherOptions } from './nats-publisher.js';
export { BrokerRegistry, type BrokerRegistryOptions } from './broker-registry.js';
export {
  BrokerBranchCaller,
  brokerMessageId,
  type BrokerBranchCallerOptions,
} from './broker-branch-caller.js';
