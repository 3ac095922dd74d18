/**
 * The inbox on PostgreSQL: consumers deduplicate messages by id inside their own local
 * transaction, through anything with pg's `query`.
 */
import { systemClock } from '@accord/core';
import type { PgQueryable } from '../barrier/pg-barrier.js';
import { checkMessageId, inboxKey, type InboxSetup } from './inbox-setup.js';
import { inboxSql } from './sql.js';
import type { InboxOptions, InboxResult } from './types.js';
import { checkAge } from './validate.js';
import { runPgDdl } from '../barrier/pg-ddl.js';

/** The inbox on PostgreSQL (see {@link pgInbox}). */
export interface PgInbox extends InboxSetup {
  /** Creates the table if missing (safe to race). */
  migrate(db: PgQueryable): Promise<void>;
  /**
   * Runs `fn` at most once per message id (for this inbox's consumer). `tx` must be a
   * client inside the caller's `BEGIN`: the inbox row commits or rolls back with `fn`'s
   * writes. A concurrent consume of the same id waits for the first transaction, then
   * skips if it committed (or applies if it rolled back). Errors of `fn` propagate; under
   * REPEATABLE READ or SERIALIZABLE a concurrent duplicate may fail with a serialization
   * error (`40001`) instead, which the caller retries.
   */
  consume<T, Q extends PgQueryable = PgQueryable>(
    tx: Q,
    messageId: string,
    fn: (tx: Q) => Promise<T> | T,
  ): Promise<InboxResult<T>>;
  /** Deletes this consumer's rows older than `olderThanMs`; resolves to how many. */
  purge(db: PgQueryable, olderThanMs: number): Promise<number>;
}

/**
 * Message deduplication for consumers on PostgreSQL.
 *
 * @example
 * const inbox = pgInbox({ consumer: 'billing' });
 * await inbox.migrate(pool);
 *
 * // in a message handler:
 * const client = await pool.connect();
 * try {
 *   await client.query('BEGIN');
 *   await inbox.consume(client, message.id, (tx) => tx.query('UPDATE wallet SET points = points + 10 WHERE user_id = $1', [userId]));
 *   await client.query('COMMIT');
 * } catch (error) {
 *   await client.query('ROLLBACK');
 *   throw error;
 * } finally {
 *   client.release();
 * }
 */
export function pgInbox(options: InboxOptions = {}): PgInbox {
  const { table, consumer } = inboxKey(options);
  const clock = options.clock ?? systemClock;
  const sql = inboxSql('postgres', table);
  return {
    table,
    consumer,
    ddl: sql.ddl,

    async migrate(db) {
      await runPgDdl(db, sql.ddl);
    },

    async consume(tx, messageId, fn) {
      checkMessageId(messageId);
      const result = await tx.query(sql.insertIgnore, [consumer, messageId, clock.now()]);
      if ((result.rowCount ?? 0) === 0) return { applied: false, reason: 'duplicate' };
      return { applied: true, value: await fn(tx) };
    },

    async purge(db, olderThanMs) {
      checkAge('olderThanMs', olderThanMs);
      const result = await db.query(sql.purge, [consumer, clock.now() - olderThanMs]);
      return result.rowCount ?? 0;
    },
  };
}
