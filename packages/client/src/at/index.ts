/**
 * `@accord/client/at`: at (automatic compensation) branches on PostgreSQL (`pg`) and
 * MySQL/MariaDB (`mysql2`). A branch's statements are imaged into an undo log in its own
 * local transaction, its rows are locked at the coordinator, and phase two forgets or
 * restores the images.
 *
 * @example
 * import { pgAt, atPhaseTwoHandler } from '@accord/client/at';
 * const at = pgAt(pool, { accord, resource: 'orders-db', phaseTwoUrl });
 * app.post('/at', accordHandler(atPhaseTwoHandler(at)));
 */
export {
  analyzeStatement,
  AtStatementRefused,
  type AtDialectName,
  type AtInsertValue,
  type AtStatement,
  type AtTableRef,
} from './analyze.js';
export {
  AT_UNDO_TABLE,
  type AtBranchKey,
  type AtOptions,
  type AtPhaseTwoOutcome,
  type AtRegistrar,
  type AtTransaction,
} from './at-engine.js';
export {
  pgAt,
  type AtParticipant,
  type PgAtClientLike,
  type PgAtPoolClientLike,
  type PgAtPoolLike,
  type PgAtResult,
} from './pg-at.js';
export {
  mysqlAt,
  type MysqlAtConnectionLike,
  type MysqlAtPoolConnectionLike,
  type MysqlAtPoolLike,
  type MysqlAtResult,
} from './mysql-at.js';
export { atPhaseTwoHandler, type AtPhaseTwoAnswer } from './at-handler.js';
