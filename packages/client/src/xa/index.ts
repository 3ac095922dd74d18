/**
 * XA helpers: run a branch's local work as a prepared database transaction, finish it in
 * phase two, recover orphans. PostgreSQL (`pg`) and MariaDB/MySQL (`mysql2`).
 */
export { ACCORD_FORMAT_ID, PG_XID_PREFIX, type XaBranchKey } from './xid.js';
export {
  phaseTwoAction,
  type PhaseTwoOutcome,
  type XaParticipant,
  type XaPhaseTwoContext,
} from './types.js';
export {
  pgXa,
  type PgPoolClientLike,
  type PgPoolLike,
  type PgXaOptions,
  type PgXaQueryResult,
} from './pg-xa.js';
export {
  mysqlXa,
  type MysqlPoolConnectionLike,
  type MysqlPoolLike,
  type MysqlXaOptions,
} from './mysql-xa.js';
export {
  coordinatorDecider,
  DEFAULT_ORPHAN_GRACE_MS,
  DEFAULT_RECOVERY_INTERVAL_MS,
  recoverPrepared,
  startRecovery,
  type CoordinatorDeciderOptions,
  type PreparedBranch,
  type RecoverableLike,
  type RecoveryDecider,
  type RecoveryDecision,
  type RecoveryReport,
  type RecoveryRunner,
  type RecoveryRunnerOptions,
  type RecoverySource,
  type TransactionQueryLike,
} from './recover.js';
export {
  xaLocalHandler,
  xaPhaseTwoHandler,
  type PhaseTwoAnswer,
  type XaDuplicateAnswer,
} from './xa-handler.js';
export { DEFAULT_BUSY_TIMEOUT_MS, XA_LEDGER, type XaLocalResult } from './ledger.js';
