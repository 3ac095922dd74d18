/**
 * The outbox on SQLite through better-sqlite3 (or anything with its synchronous
 * `prepare(sql).run/get/all`). Messages are written inside the caller's own
 * `db.transaction(...)`; relays claim with one atomic `UPDATE ... RETURNING`.
 */
import { systemClock } from '@accord/core';
import type { SqliteStatementLike } from '../barrier/sqlite-barrier.js';
import type { PreparedStatus } from '../barrier/types.js';
import { startRelay } from './relay.js';
import { toClaimedRow, type RelayStore } from './relay-store.js';
import { OUTBOX_LIMITS, outboxSql, OUTBOX_TABLE } from './sql.js';
import type { OutboxMessageInput, OutboxOptions, OutboxRelay, RelayOptions } from './types.js';
import { checkAge, checkKey, toOutboxRow } from './validate.js';

/** What the outbox needs of a prepared statement (better-sqlite3's `Statement` fits). */
export interface SqliteQueryStatementLike extends SqliteStatementLike {
  all(...params: unknown[]): unknown[];
}

/**
 * What the outbox and inbox need of a database handle: better-sqlite3's `Database` fits.
 *
 * @example
 * const db: SqliteQueryableLike = new Database('app.db');
 */
export interface SqliteQueryableLike {
  prepare(sql: string): SqliteQueryStatementLike;
  /** When present, `add` and `consume` refuse to run outside a transaction. */
  readonly inTransaction?: boolean;
}

/** Options of a SQLite relay. */
export interface SqliteRelayOptions extends RelayOptions {
  /**
   * The handle the relay reads and writes through, outside any transaction (its
   * statements autocommit). Another handle on the same file, or another process, may run
   * a relay too: SQLite serialises the claims.
   */
  db: SqliteQueryableLike;
}

/** The outbox on SQLite (see {@link sqliteOutbox}). */
export interface SqliteOutbox {
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` and `CREATE INDEX IF NOT EXISTS` statements. */
  readonly ddl: readonly string[];
  /** Creates the table and its indexes if missing. */
  migrate(db: SqliteQueryableLike): void;
  /**
   * Writes a message inside the enclosing `db.transaction(...)`: it is published if and
   * only if that transaction commits. Returns the message id. Throws `ValidationError` for
   * a bad message, and a unique-key error (`SQLITE_CONSTRAINT_PRIMARYKEY`) for a duplicate
   * id.
   */
  add<P>(db: SqliteQueryableLike, message: OutboxMessageInput<P>): string;
  /** Starts a relay publishing this outbox's pending rows (see {@link RelayOptions}). */
  relay(options: SqliteRelayOptions): OutboxRelay;
  /** Deletes rows sent more than `olderThanMs` ago; returns how many. */
  purgeSent(db: SqliteQueryableLike, olderThanMs: number): number;
  /** Puts a `dead` row back to pending with its attempts reset; false if none was dead. */
  revive(db: SqliteQueryableLike, id: string): boolean;
  /** Check-back for `accordPublisher`: `committed` when the row exists. */
  checkPrepared(db: SqliteQueryableLike, id: string): PreparedStatus;
}

/** A per-database cache of prepared statements. */
export function statementCache(): (
  db: SqliteQueryableLike,
  text: string,
) => SqliteQueryStatementLike {
  const cache = new WeakMap<SqliteQueryableLike, Map<string, SqliteQueryStatementLike>>();
  return (db, text) => {
    let forDb = cache.get(db);
    if (!forDb) {
      forDb = new Map();
      cache.set(db, forDb);
    }
    let statement = forDb.get(text);
    if (!statement) {
      statement = db.prepare(text);
      forDb.set(text, statement);
    }
    return statement;
  };
}

/**
 * A transactional outbox on SQLite (better-sqlite3, synchronous).
 *
 * @example
 * const outbox = sqliteOutbox();
 * outbox.migrate(db);
 *
 * const id = db.transaction(() => {
 *   db.prepare('INSERT INTO users (id, name) VALUES (?, ?)').run(userId, name);
 *   return outbox.add(db, { topic: 'user.created', payload: { userId } });
 * })();
 *
 * const relay = outbox.relay({ db, publisher: natsPublisher(js) });
 */
export function sqliteOutbox(options: OutboxOptions = {}): SqliteOutbox {
  const table = options.table ?? OUTBOX_TABLE;
  const clock = options.clock ?? systemClock;
  const sql = outboxSql('sqlite', table);
  const stmt = statementCache();
  const claim = sql.claim ?? '';

  const store = (db: SqliteQueryableLike): RelayStore => ({
    async claim(owner, now, leaseUntil, limit) {
      return stmt(db, claim).all(now, limit, owner, leaseUntil, leaseUntil).map(toClaimedRow);
    },
    async markSent(id, now) {
      return stmt(db, sql.markSent).run(now, id).changes > 0;
    },
    async markFailed(key, u) {
      const values = [u.status, u.attempts, u.availableAt, u.error, key.id, key.owner];
      return stmt(db, sql.markFailed).run(...values, key.attempts).changes > 0;
    },
    async release(key, now) {
      return stmt(db, sql.release).run(now, key.id, key.owner, key.attempts).changes > 0;
    },
  });

  return {
    table,
    ddl: sql.ddl,

    migrate(db) {
      for (const statement of sql.ddl) db.prepare(statement).run();
    },

    add(db, message) {
      if (db.inTransaction === false) {
        throw new Error('sqliteOutbox.add must be called inside db.transaction(...)');
      }
      const row = toOutboxRow(message, clock.now());
      stmt(db, sql.insert).run(
        row.id,
        row.topic,
        row.payload,
        row.headers,
        row.createdAt,
        row.availableAt,
      );
      return row.id;
    },

    relay(relayOptions) {
      const { db, ...rest } = relayOptions;
      return startRelay(store(db), { ...rest, clock: rest.clock ?? clock });
    },

    purgeSent(db, olderThanMs) {
      checkAge('olderThanMs', olderThanMs);
      return stmt(db, sql.purgeSent).run(clock.now() - olderThanMs).changes;
    },

    revive(db, id) {
      checkKey('id', id, OUTBOX_LIMITS.id);
      return stmt(db, sql.revive).run(clock.now(), id).changes > 0;
    },

    checkPrepared(db, id) {
      checkKey('id', id, OUTBOX_LIMITS.id);
      return stmt(db, sql.exists).get(id) !== undefined ? 'committed' : 'rolledback';
    },
  };
}
