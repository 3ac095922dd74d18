/**
 * @accord/client: the TypeScript SDK of Accord. The coordinator client and its saga,
 * tcc, xa, msg and notification entry points; participant helpers for node:http, Express
 * and Fastify; the sub-transaction barrier for PostgreSQL, MySQL/MariaDB, SQLite and
 * Redis; XA helpers for PostgreSQL and MySQL/MariaDB; the transactional outbox and inbox.
 */
export {
  AccordClient,
  type AccordClientOptions,
  type CoordinatorApi,
} from './client/accord-client.js';
export { SagaBuilder, type SagaInit, type SagaStep } from './client/saga.js';
export { type TccBranch, type TccContext, type TccInit, type TccResult } from './client/tcc.js';
export { type XaBranch, type XaContext, type XaInit, type XaResult } from './client/xa.js';
export { MsgBuilder, type MsgInit, type MsgResult, type MsgStep } from './client/msg.js';
export type {
  Notification,
  NotificationQuery,
  NotificationRequest,
} from './client/notify-types.js';
export type {
  AbortOptions,
  Attempt,
  Branch,
  BranchLastError,
  CreateTransactionRequest,
  ListFilters,
  QueryResult,
  RegisterBranchRequest,
  ResolveRequest,
  RetryOptions,
  StepRequest,
  SubmitOptions,
  TccBranchRequest,
  XaBranchRequest,
  Transaction,
  TransactionOptionsInput,
  TransactionPage,
  WaitResult,
} from './client/wire-types.js';

export {
  headerValue,
  PARTICIPANT_OPS,
  readAccordContext,
  type AccordContext,
  type HeadersLike,
} from './participant/context.js';
export {
  signPayload,
  verifySignature,
  SIGNATURE_TOLERANCE_MS,
  type SignatureProblem,
  type VerifyOptions,
} from './participant/signature.js';
export { BusinessFailure, Ongoing } from './participant/failures.js';
export { TextReply, textReply } from './participant/reply.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  type AccordHandlerFn,
  type AccordHandlerOptions,
} from './participant/process-call.js';
export { accordHandler, type NodeRequestLike } from './participant/node-handler.js';
export {
  accordFastifyBodyParser,
  accordFastifyHandler,
  type FastifyBodyParserHost,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './participant/fastify-handler.js';

export { BARRIER_TABLE, barrierDdl, type BarrierDialect } from './barrier/sql.js';
export {
  MSG_BARRIER,
  type BarrierContext,
  type BarrierOptions,
  type BarrierResult,
  type BarrierRunOptions,
  type BarrierSkipReason,
  type PreparedStatus,
} from './barrier/types.js';
export { pgBarrier, type PgBarrier, type PgQueryable } from './barrier/pg-barrier.js';
export {
  sqliteBarrier,
  type SqliteBarrier,
  type SqliteDatabaseLike,
  type SqliteStatementLike,
  type Synchronous,
} from './barrier/sqlite-barrier.js';
export { checkBackHandler } from './barrier/check-back.js';
export { mysqlBarrier, type MysqlBarrier, type MysqlQueryable } from './barrier/mysql-barrier.js';
export {
  redisBarrier,
  type RedisBarrier,
  type RedisBarrierOptions,
  type RedisIncrByOptions,
  type RedisScript,
} from './barrier/redis-barrier.js';
export { type RedisLike } from './barrier/redis-scripts.js';

export * from './xa/index.js';
export * from './outbox/index.js';
