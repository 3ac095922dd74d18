/**
 * `@accord/client/barrier`: the sub-transaction barrier. It makes a participant's op safe
 * against duplicates, empty compensation and hanging by writing a row in the caller's own
 * local transaction, for `pg`, `mysql2`, `better-sqlite3` and `ioredis`; it also answers
 * a two-phase message's check-back.
 *
 * @example
 * import { pgBarrier } from '@accord/client/barrier';
 * const barrier = pgBarrier();
 * await barrier.migrate(pool);
 */
export { BARRIER_TABLE, barrierDdl, type BarrierDialect } from './sql.js';
export {
  MSG_BARRIER,
  type BarrierContext,
  type BarrierOptions,
  type BarrierResult,
  type BarrierRunOptions,
  type BarrierSkipReason,
  type PreparedStatus,
} from './types.js';
export { pgBarrier, type PgBarrier, type PgQueryable } from './pg-barrier.js';
export {
  sqliteBarrier,
  type SqliteBarrier,
  type SqliteDatabaseLike,
  type SqliteStatementLike,
  type Synchronous,
} from './sqlite-barrier.js';
export { checkBackHandler } from './check-back.js';
export type { AccordHandlerFn } from '../participant/process-call.js';
export { mysqlBarrier, type MysqlBarrier, type MysqlQueryable } from './mysql-barrier.js';
export {
  redisBarrier,
  type RedisBarrier,
  type RedisBarrierOptions,
  type RedisIncrByOptions,
  type RedisScript,
} from './redis-barrier.js';
export { type RedisLike } from './redis-scripts.js';
