/**
 * @accord/client: the TypeScript SDK of Accord. This entry point is the coordinator
 * client (saga, tcc, xa, msg, notifications, queries), its wire types, and the errors
 * every call may throw. The heavier parts have their own entry points, so a service loads
 * only what it uses:
 *
 * - `@accord/client/participant`: route helpers for node:http, Express, Fastify and Hono;
 * - `@accord/client/barrier`: the sub-transaction barrier (pg, mysql2, better-sqlite3, ioredis);
 * - `@accord/client/xa`: XA participants and recovery (pg, mysql2);
 * - `@accord/client/outbox`: the transactional outbox, its relay and publishers, the inbox.
 *
 * @example
 * import { AccordClient, isAccordError } from '@accord/client';
 * const accord = new AccordClient({ url: 'http://127.0.0.1:7070' });
 */
export { AccordClient, type AccordClientOptions } from './client/accord-client.js';
export type { CoordinatorApi } from './client/coordinator-api.js';
export { SagaBuilder, type SagaInit, type SagaStep } from './client/saga.js';
export { type TccBranch, type TccContext, type TccInit, type TccResult } from './client/tcc.js';
export { type XaBranch, type XaContext, type XaInit, type XaResult } from './client/xa.js';
export { MsgBuilder, type MsgInit, type MsgResult, type MsgStep } from './client/msg.js';
export type { TwoPhaseInit, TwoPhaseResult } from './client/two-phase.js';
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
export { BusinessFailure, Ongoing } from './participant/failures.js';
export * from './errors.js';
