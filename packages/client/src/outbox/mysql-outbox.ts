/**
 * The outbox on MySQL and MariaDB (InnoDB), through mysql2/promise. Messages are written
 * inside the caller's own transaction; relays claim with `SELECT ... FOR UPDATE SKIP
 * LOCKED` (MySQL 8.0.1+, MariaDB 10.6+).
 */
import { systemClock } from '@accord/core';
import type { MysqlQueryable } from '../barrier/mysql-barrier.js';
import type { PreparedStatus } from '../barrier/types.js';
import { startRelay } from './relay.js';
import { toClaimedRow, type RelayStore } from './relay-store.js';
import { OUTBOX_LIMITS, outboxSql, OUTBOX_TABLE, type OutboxSql } from './sql.js';
import type { OutboxMessageInput, OutboxOptions, OutboxRelay, RelayOptions } from './types.js';
import { checkAge, checkKey, toOutboxRow } from './validate.js';

/** What a relay needs of one pooled mysql2/promise connection. */
export interface MysqlConnectionLike extends MysqlQueryable {
  beginTransaction(): Promise<unknown>;
  commit(): Promise<unknown>;
  rollback(): Promise<unknown>;
  release(): void;
}

/**
 * What a relay needs of a mysql2/promise pool: autocommitted `query`, and connections for
 * the claim's short transaction.
 *
 * @example
 * const pool: MysqlRelayPoolLike = mysql.createPool({ uri });
 */
export interface MysqlRelayPoolLike extends MysqlQueryable {
  getConnection(): Promise<MysqlConnectionLike>;
}

/** Options of a MySQL/MariaDB relay. */
export interface MysqlRelayOptions extends RelayOptions {
  /** The pool the relay reads and writes through. */
  db: MysqlRelayPoolLike;
}

/** The outbox on MySQL/MariaDB (see {@link mysqlOutbox}). */
export interface MysqlOutbox {
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` statement (indexes inline). */
  readonly ddl: readonly string[];
  /** Creates the table if missing. DDL commits implicitly: call it outside a transaction. */
  migrate(db: MysqlQueryable): Promise<void>;
  /**
   * Writes a message with `tx`, a connection inside the caller's `beginTransaction()`: it
   * is published if and only if that transaction commits. Resolves to the message id.
   * Throws `ValidationError` for a bad message; a duplicate id fails with `ER_DUP_ENTRY`.
   */
  add<P>(tx: MysqlQueryable, message: OutboxMessageInput<P>): Promise<string>;
  /** Starts a relay publishing this outbox's pending rows (see {@link RelayOptions}). */
  relay(options: MysqlRelayOptions): OutboxRelay;
  /** Deletes rows sent more than `olderThanMs` ago; resolves to how many. */
  purgeSent(db: MysqlQueryable, olderThanMs: number): Promise<number>;
  /** Puts a `dead` row back to pending with its attempts reset; false if none was dead. */
  revive(db: MysqlQueryable, id: string): Promise<boolean>;
  /** Check-back for `accordPublisher`: `committed` when the row exists. */
  checkPrepared(db: MysqlQueryable, id: string): Promise<PreparedStatus>;
}

const affected = (header: unknown): number => {
  const rows = (header as { affectedRows?: unknown } | undefined)?.affectedRows;
  return typeof rows === 'number' ? rows : 0;
};

/**
 * The relay's side of the table. A claim is one short transaction on its own connection:
 * lock due rows with SKIP LOCKED, lease them, commit. READ COMMITTED keeps InnoDB from
 * taking gap locks on the index range, which would hold up producers' inserts meanwhile.
 */
function mysqlRelayStore(db: MysqlRelayPoolLike, sql: OutboxSql): RelayStore {
  const lockDue = sql.lockDue ?? '';
  const claimLocked = sql.claimLocked ?? '';
  return {
    async claim(owner, now, leaseUntil, limit) {
      const conn = await db.getConnection();
      try {
        await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await conn.beginTransaction();
        try {
          const [rows] = await conn.query(lockDue, [now, limit]);
          const due = (Array.isArray(rows) ? rows : []).map(toClaimedRow);
          if (due.length > 0) {
            await conn.query(claimLocked, [owner, leaseUntil, leaseUntil, due.map((r) => r.id)]);
          }
          await conn.commit();
          return due.map((r) => ({ ...r, attempts: r.attempts + 1 }));
        } catch (error) {
          await conn.rollback().catch(() => undefined);
          throw error;
        }
      } finally {
        conn.release();
      }
    },
    async markSent(id, now) {
      const [header] = await db.query(sql.markSent, [now, id]);
      return affected(header) > 0;
    },
    async markFailed(key, u) {
      const values = [u.status, u.attempts, u.availableAt, u.error, key.id, key.owner];
      const [header] = await db.query(sql.markFailed, [...values, key.attempts]);
      return affected(header) > 0;
    },
    async release(key, now) {
      const [header] = await db.query(sql.release, [now, key.id, key.owner, key.attempts]);
      return affected(header) > 0;
    },
  };
}

/**
 * A transactional outbox on MySQL or MariaDB (mysql2/promise).
 *
 * @example
 * const outbox = mysqlOutbox();
 * await outbox.migrate(pool);
 *
 * const conn = await pool.getConnection();
 * try {
 *   await conn.beginTransaction();
 *   await conn.query('INSERT INTO users (id, name) VALUES (?, ?)', [userId, name]);
 *   await outbox.add(conn, { topic: 'user.created', payload: { userId } });
 *   await conn.commit();
 * } catch (error) {
 *   await conn.rollback();
 *   throw error;
 * } finally {
 *   conn.release();
 * }
 *
 * const relay = outbox.relay({ db: pool, publisher: httpPublisher({ url: 'http://billing/events' }) });
 */
export function mysqlOutbox(options: OutboxOptions = {}): MysqlOutbox {
  const table = options.table ?? OUTBOX_TABLE;
  const clock = options.clock ?? systemClock;
  const sql = outboxSql('mysql', table);
  return {
    table,
    ddl: sql.ddl,

    async migrate(db) {
      for (const statement of sql.ddl) await db.query(statement);
    },

    async add(tx, message) {
      const row = toOutboxRow(message, clock.now());
      await tx.query(sql.insert, [
        row.id,
        row.topic,
        row.payload,
        row.headers,
        row.createdAt,
        row.availableAt,
      ]);
      return row.id;
    },

    relay(relayOptions) {
      const { db, ...rest } = relayOptions;
      return startRelay(mysqlRelayStore(db, sql), { ...rest, clock: rest.clock ?? clock });
    },

    async purgeSent(db, olderThanMs) {
      checkAge('olderThanMs', olderThanMs);
      const [header] = await db.query(sql.purgeSent, [clock.now() - olderThanMs]);
      return affected(header);
    },

    async revive(db, id) {
      checkKey('id', id, OUTBOX_LIMITS.id);
      const [header] = await db.query(sql.revive, [clock.now(), id]);
      return affected(header) > 0;
    },

    async checkPrepared(db, id) {
      checkKey('id', id, OUTBOX_LIMITS.id);
      const [rows] = await db.query(sql.exists, [id]);
      return Array.isArray(rows) && rows.length > 0 ? 'committed' : 'rolledback';
    },
  };
}
