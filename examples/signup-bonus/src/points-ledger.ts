/**
 * The points service's database (MariaDB): the `points` ledger and the inbox beside it.
 * A bonus is granted in the same local transaction that records the message id in the
 * inbox, so a message applies at most once, however often it is delivered.
 */
import mysql from 'mysql2/promise';
import { mysqlInbox, type MysqlInbox } from '@accord/client/outbox';
import type { UserCreatedDelivery } from './user-created.js';

/** Points granted for signing up. */
export const SIGNUP_BONUS = 100;

/** The `reason` of a sign-up bonus row. */
export const SIGNUP_REASON = 'signup';

/**
 * The ledger: one row per grant. Deliberately no unique key on `(user_id, reason)`: the
 * inbox alone keeps a message from granting twice, and the tests check exactly that.
 */
export const POINTS_DDL = `CREATE TABLE IF NOT EXISTS points (
  id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id varchar(64) NOT NULL,
  amount int NOT NULL,
  reason varchar(32) NOT NULL,
  created_at timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY points_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** What a delivery did to the ledger. */
export type GrantOutcome = 'granted' | 'duplicate';

/** The points service's database. */
export interface PointsLedger {
  readonly pool: mysql.Pool;
  readonly inbox: MysqlInbox;
  /** Creates the ledger and the inbox tables if missing. */
  migrate(): Promise<void>;
  /**
   * In one transaction: records the message id in the inbox and, if it was new, inserts
   * the bonus. `duplicate` means the id was consumed before and nothing was written.
   * Errors (deadlock, lost connection) roll back and propagate: deliver again later.
   */
  grantSignupBonus(delivery: UserCreatedDelivery): Promise<GrantOutcome>;
  /** Sign-up bonus rows per user id. */
  bonuses(): Promise<Map<string, number>>;
  /** Message ids recorded by the inbox. */
  inboxSize(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens the ledger on the MariaDB (or MySQL) database `url` names.
 *
 * @example
 * const ledger = openPointsLedger('mysql://root@127.0.0.1/points');
 * await ledger.migrate();
 */
export function openPointsLedger(url: string, poolSize = 10): PointsLedger {
  const pool = mysql.createPool({ uri: url, connectionLimit: poolSize });
  const inbox = mysqlInbox({ consumer: 'points.signup-bonus' });
  return {
    pool,
    inbox,

    async migrate() {
      await pool.query(POINTS_DDL);
      await inbox.migrate(pool);
    },

    async grantSignupBonus({ messageId, event }) {
      const conn = await pool.getConnection();
      try {
        await conn.beginTransaction();
        const result = await inbox.consume(conn, messageId, (tx) =>
          tx.query('INSERT INTO points (user_id, amount, reason) VALUES (?, ?, ?)', [
            event.userId,
            SIGNUP_BONUS,
            SIGNUP_REASON,
          ]),
        );
        await conn.commit();
        conn.release();
        return result.applied ? 'granted' : 'duplicate';
      } catch (error) {
        try {
          await conn.rollback();
          conn.release();
        } catch {
          // Closing the session rolls the transaction back.
          conn.destroy();
        }
        throw error;
      }
    },

    async bonuses() {
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        'SELECT user_id, COUNT(*) AS n FROM points WHERE reason = ? GROUP BY user_id',
        [SIGNUP_REASON],
      );
      return new Map(rows.map((r) => [String(r['user_id']), Number(r['n'])]));
    },

    async inboxSize() {
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM ${inbox.table} WHERE consumer = ?`,
        [inbox.consumer],
      );
      return Number(rows[0]?.['n'] ?? 0);
    },

    close: () => pool.end(),
  };
}
