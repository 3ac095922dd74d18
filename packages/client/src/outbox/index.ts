/**
 * The transactional outbox and the inbox: write messages in the caller's own local
 * transaction, relay them to a broker, an HTTP endpoint or the coordinator, and
 * deduplicate them on the consumer's side.
 */
export {
  INBOX_TABLE,
  inboxDdl,
  OUTBOX_LIMITS,
  OUTBOX_TABLE,
  outboxDdl,
  type OutboxDialect,
  type OutboxStatus,
} from './sql.js';
export type {
  InboxOptions,
  InboxResult,
  OutboxMessage,
  OutboxMessageInput,
  OutboxOptions,
  OutboxPublisher,
  OutboxRelay,
  RelayErrorInfo,
  RelayOptions,
  RelayRetryOptions,
} from './types.js';
export { outboxId } from './ids.js';
export { RELAY_DEFAULTS } from './validate.js';
export { pgOutbox, type PgOutbox, type PgRelayOptions } from './pg-outbox.js';
export {
  mysqlOutbox,
  type MysqlConnectionLike,
  type MysqlOutbox,
  type MysqlRelayPoolLike,
  type MysqlRelayOptions,
} from './mysql-outbox.js';
export {
  sqliteOutbox,
  type SqliteOutbox,
  type SqliteQueryableLike,
  type SqliteQueryStatementLike,
  type SqliteRelayOptions,
} from './sqlite-outbox.js';
export type { InboxSetup } from './inbox-setup.js';
export { pgInbox, type PgInbox } from './pg-inbox.js';
export { mysqlInbox, type MysqlInbox } from './mysql-inbox.js';
export { sqliteInbox, type SqliteInbox } from './sqlite-inbox.js';
export { PublishError, type PublishErrorCode } from './publish-error.js';
export {
  rabbitPublisher,
  type ConfirmChannelFactory,
  type ConfirmChannelLike,
  type RabbitPublisher,
  type RabbitPublisherOptions,
  type RabbitPublishOptions,
  type ReturnedMessageLike,
} from './rabbit-publisher.js';
export {
  natsPublisher,
  type JetStreamLike,
  type NatsHeadersLike,
  type NatsPublisherOptions,
  type PubAckLike,
} from './nats-publisher.js';
export { httpPublisher, type HttpPublisherOptions } from './http-publisher.js';
export { accordPublisher, type AccordPublisherOptions } from './accord-publisher.js';
// Types of the other entry points that the outbox's signatures use.
export type { CoordinatorApi } from '../client/coordinator-api.js';
export type { MsgStep } from '../client/msg.js';
export type {
  AbortOptions,
  CreateTransactionRequest,
  RegisterBranchRequest,
  SubmitOptions,
  Transaction,
  TransactionOptionsInput,
} from '../client/wire-types.js';
export type { MysqlQueryable } from '../barrier/mysql-barrier.js';
export type { PgQueryable } from '../barrier/pg-barrier.js';
export type { SqliteStatementLike, Synchronous } from '../barrier/sqlite-barrier.js';
export type { PreparedStatus } from '../barrier/types.js';
