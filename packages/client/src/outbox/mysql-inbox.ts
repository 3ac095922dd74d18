/**
 * The inbox on MySQL and MariaDB (InnoDB): consumers deduplicate messages by id inside
 * their own local transaction, through mysql2/promise.
 */
import { systemClock } from '@accord/core';
import type { MysqlQueryable } from '../barrier/mysql-barrier.js';
import { checkMessageId, inboxKey, type InboxSetup } from './inbox-setup.js';
import { inboxSql } from './sql.js';
import type { InboxOptions, InboxResult } from './types.js';
import { checkAge } from './validate.js';

/** The inbox on MySQL/MariaDB (see {@link mysqlInbox}). */
export interface MysqlInbox extends InboxSetup {
  /** Creates the table if missing. DDL commits implicitly: call it outside a transaction. */
  migrate(db: MysqlQueryable): Promise<void>;
  /**
   * Runs `fn` at most once per message id (for this inbox's consumer). `tx` must be a
   * connection inside the caller's `beginTransaction()`: the inbox row commits or rolls
   * back with `fn`'s writes. A concurrent consume of the same id waits on InnoDB's key lock
   * (up to `innodb_lock_wait_timeout`), then skips if the first transaction committed, or
   * applies if it rolled back. When several waiters race a rollback, InnoDB may pick one
   * as a deadlock victim (`ER_LOCK_DEADLOCK`): its transaction is rolled back and the
   * error propagates, so the message is redelivered. Errors of `fn` propagate.
   */
  consume<T, Q extends MysqlQueryable = MysqlQueryable>(
    tx: Q,
    messageId: string,
    fn: (tx: Q) => Promise<T> | T,
  ): Promise<InboxResult<T>>;
  /** Deletes this consumer's rows older than `olderThanMs`; resolves to how many. */
  purge(db: MysqlQueryable, olderThanMs: number): Promise<number>;
}

const affected = (header: unknown): number => {
  const rows = (header as { affectedRows?: unknown } | undefined)?.affectedRows;
  return typeof rows === 'number' ? rows : 0;
};

/**
 * Message deduplication for consumers on MySQL or MariaDB (mysql2/promise).
 *
 * @example
 * const inbox = mysqlInbox({ consumer: 'billing' });
 * await inbox.migrate(pool);
 *
 * const conn = await pool.getConnection();
 * try {
 *   await conn.beginTransaction();
 *   await inbox.consume(conn, message.id, (tx) => tx.query('UPDATE wallet SET points = points + 10 WHERE user_id = ?', [userId]));
 *   await conn.commit();
 * } catch (error) {
 *   await conn.rollback();
 *   throw error;
 * } finally {
 *   conn.release();
 * }
 */
export function mysqlInbox(options: InboxOptions = {}): MysqlInbox {
  const { table, consumer } = inboxKey(options);
  const clock = options.clock ?? systemClock;
  const sql = inboxSql('mysql', table);
  return {
    table,
    consumer,
    ddl: sql.ddl,

    async migrate(db) {
      for (const statement of sql.ddl) await db.query(statement);
    },

    async consume(tx, messageId, fn) {
      checkMessageId(messageId);
      const [header] = await tx.query(sql.insertIgnore, [consumer, messageId, clock.now()]);
      if (affected(header) === 0) return { applied: false, reason: 'duplicate' };
      return { applied: true, value: await fn(tx) };
    },

    async purge(db, olderThanMs) {
      checkAge('olderThanMs', olderThanMs);
      const [header] = await db.query(sql.purge, [consumer, clock.now() - olderThanMs]);
      return affected(header);
    },
  };
}
