/**
 * The outbox on PostgreSQL, through anything with pg's `query` (a `pg.Client`, a
 * `PoolClient`, a `Pool`). Messages are written inside the caller's own transaction.
 */
import { systemClock } from '@accord/core';
import type { PgQueryable } from '../barrier/pg-barrier.js';
import type { PreparedStatus } from '../barrier/types.js';
import { startRelay } from './relay.js';
import { toClaimedRow, type RelayStore } from './relay-store.js';
import { OUTBOX_LIMITS, outboxSql, OUTBOX_TABLE, type OutboxSql } from './sql.js';
import type { OutboxMessageInput, OutboxOptions, OutboxRelay, RelayOptions } from './types.js';
import { checkAge, checkKey, toOutboxRow } from './validate.js';
import { runPgDdl } from '../barrier/pg-ddl.js';

/** Options of a PostgreSQL relay. */
export interface PgRelayOptions extends RelayOptions {
  /**
   * Where the relay reads and writes: a `pg.Pool` (or a client outside any transaction).
   * Each claim is one autocommitted statement.
   */
  db: PgQueryable;
}

/** The outbox on PostgreSQL (see {@link pgOutbox}). */
export interface PgOutbox {
  /** The table name. */
  readonly table: string;
  /** Its `CREATE TABLE IF NOT EXISTS` and `CREATE INDEX IF NOT EXISTS` statements. */
  readonly ddl: readonly string[];
  /** Creates the table and its indexes if missing (safe to race). */
  migrate(db: PgQueryable): Promise<void>;
  /**
   * Writes a message with `tx`, a client inside the caller's `BEGIN`: it is published if
   * and only if that transaction commits. Resolves to the message id. Throws
   * `ValidationError` for a bad message; a duplicate id fails with pg's unique violation
   * (`23505`), after which the transaction must roll back.
   */
  add<P>(tx: PgQueryable, message: OutboxMessageInput<P>): Promise<string>;
  /** Starts a relay publishing this outbox's pending rows (see {@link RelayOptions}). */
  relay(options: PgRelayOptions): OutboxRelay;
  /** Deletes rows sent more than `olderThanMs` ago; resolves to how many. */
  purgeSent(db: PgQueryable, olderThanMs: number): Promise<number>;
  /** Puts a `dead` row back to pending with its attempts reset; false if none was dead. */
  revive(db: PgQueryable, id: string): Promise<boolean>;
  /**
   * Check-back for messages published with `accordPublisher`: `committed` when the row
   * exists (its local transaction committed), else `rolledback`.
   */
  checkPrepared(db: PgQueryable, id: string): Promise<PreparedStatus>;
}

/** The relay's side of the table, in autocommitted statements on `db`. */
function pgRelayStore(db: PgQueryable, sql: OutboxSql): RelayStore {
  const claim = sql.claim ?? '';
  const changed = (r: { rowCount: number | null }) => (r.rowCount ?? 0) > 0;
  return {
    async claim(owner, now, leaseUntil, limit) {
      const { rows } = await db.query(claim, [now, limit, owner, leaseUntil, leaseUntil]);
      return rows.map(toClaimedRow);
    },
    async markSent(id, now) {
      return changed(await db.query(sql.markSent, [now, id]));
    },
    async markFailed(key, u) {
      const values = [u.status, u.attempts, u.availableAt, u.error, key.id, key.owner];
      return changed(await db.query(sql.markFailed, [...values, key.attempts]));
    },
    async release(key, now) {
      return changed(await db.query(sql.release, [now, key.id, key.owner, key.attempts]));
    },
  };
}

/**
 * A transactional outbox on PostgreSQL. Relays claim rows with `FOR UPDATE SKIP LOCKED`
 * and a lease, so any number of relay processes can share the table.
 *
 * @example
 * const outbox = pgOutbox();
 * await outbox.migrate(pool);
 *
 * const client = await pool.connect();
 * try {
 *   await client.query('BEGIN');
 *   await client.query('INSERT INTO users (id, name) VALUES ($1, $2)', [userId, name]);
 *   await outbox.add(client, { topic: 'user.created', payload: { userId } });
 *   await client.query('COMMIT');
 * } catch (error) {
 *   await client.query('ROLLBACK');
 *   throw error;
 * } finally {
 *   client.release();
 * }
 *
 * const relay = outbox.relay({ db: pool, publisher: rabbitPublisher(channel, { exchange: 'events' }) });
 * // on shutdown: await relay.stop();
 */
export function pgOutbox(options: OutboxOptions = {}): PgOutbox {
  const table = options.table ?? OUTBOX_TABLE;
  const clock = options.clock ?? systemClock;
  const sql = outboxSql('postgres', table);
  return {
    table,
    ddl: sql.ddl,

    async migrate(db) {
      await runPgDdl(db, sql.ddl);
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
      return startRelay(pgRelayStore(db, sql), { ...rest, clock: rest.clock ?? clock });
    },

    async purgeSent(db, olderThanMs) {
      checkAge('olderThanMs', olderThanMs);
      const result = await db.query(sql.purgeSent, [clock.now() - olderThanMs]);
      return result.rowCount ?? 0;
    },

    async revive(db, id) {
      checkKey('id', id, OUTBOX_LIMITS.id);
      const result = await db.query(sql.revive, [clock.now(), id]);
      return (result.rowCount ?? 0) > 0;
    },

    async checkPrepared(db, id) {
      checkKey('id', id, OUTBOX_LIMITS.id);
      const { rows } = await db.query(sql.exists, [id]);
      return rows.length > 0 ? 'committed' : 'rolledback';
    },
  };
}
