/**
 * The inbox on SQLite through better-sqlite3: consumers deduplicate messages by id inside
 * their own `db.transaction(...)`.
 */
import { systemClock } from '@accord/core';
import type { Synchronous } from '../barrier/sqlite-barrier.js';
import { checkMessageId, inboxKey, type InboxSetup } from './inbox-setup.js';
import { inboxSql } from './sql.js';
import { statementCache, type SqliteQueryableLike } from './sqlite-outbox.js';
import type { InboxOptions, InboxResult } from './types.js';
import { checkAge } from './validate.js';

/** The inbox on SQLite (see {@link sqliteInbox}). */
export interface SqliteInbox extends InboxSetup {
  /** Creates the table if missing. */
  migrate(db: SqliteQueryableLike): void;
  /**
   * Runs the synchronous `fn` at most once per message id (for this inbox's consumer).
   * Call it inside `db.transaction(...)`: the inbox row commits or rolls back with `fn`'s
   * writes. SQLite serialises writers, so a concurrent duplicate (another connection or
   * process) waits for the first transaction (up to the handle's busy timeout), then
   * skips. Errors propagate.
   */
  consume<T>(db: SqliteQueryableLike, messageId: string, fn: () => Synchronous<T>): InboxResult<T>;
  /** Deletes this consumer's rows older than `olderThanMs`; returns how many. */
  purge(db: SqliteQueryableLike, olderThanMs: number): number;
}

/**
 * Message deduplication for consumers on SQLite (better-sqlite3, synchronous).
 *
 * @example
 * const inbox = sqliteInbox({ consumer: 'billing' });
 * inbox.migrate(db);
 *
 * const result = db.transaction(() =>
 *   inbox.consume(db, message.id, () => db.prepare('UPDATE wallet SET points = points + 10 WHERE user_id = ?').run(userId)),
 * )();
 */
export function sqliteInbox(options: InboxOptions = {}): SqliteInbox {
  const { table, consumer } = inboxKey(options);
  const clock = options.clock ?? systemClock;
  const sql = inboxSql('sqlite', table);
  const stmt = statementCache();
  return {
    table,
    consumer,
    ddl: sql.ddl,

    migrate(db) {
      for (const statement of sql.ddl) db.prepare(statement).run();
    },

    consume<T>(db: SqliteQueryableLike, messageId: string, fn: () => Synchronous<T>) {
      if (db.inTransaction === false) {
        throw new Error('sqliteInbox.consume must be called inside db.transaction(...)');
      }
      checkMessageId(messageId);
      if (stmt(db, sql.insertIgnore).run(consumer, messageId, clock.now()).changes === 0) {
        return { applied: false, reason: 'duplicate' } as const;
      }
      const value: unknown = fn();
      if (typeof (value as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError(
          'sqliteInbox.consume needs a synchronous function (better-sqlite3 transactions cannot span an await)',
        );
      }
      return { applied: true, value: value as T } as const;
    },

    purge(db, olderThanMs) {
      checkAge('olderThanMs', olderThanMs);
      return stmt(db, sql.purge).run(consumer, clock.now() - olderThanMs).changes;
    },
  };
}
