/**
 * The database behind an XA test participant, on PostgreSQL or MariaDB: `accounts` (a
 * balance that may not go negative) and `moves`, a journal with one row per applied
 * branch and no unique key, so that work applied twice shows up as two rows. Each
 * ledger lives in its own temporary schema or database and names its branches with a
 * mark of its own (a PostgreSQL prefix, a MariaDB format id), so parallel runs never see
 * each other's prepared transactions. It also gives the view from another connection
 * that the tests assert against, and rolls back what a run left prepared.
 */
import { randomInt } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { BusinessFailure } from '@accord/client';
import { type AccordHandlerFn } from '@accord/client/participant';
import {
  mysqlXa,
  pgXa,
  xaLocalHandler,
  type XaBranchKey,
  type XaDuplicateAnswer,
  type XaParticipant,
} from '@accord/client/xa';
import { createTempMysqlDatabase, createTempSchema, uniqueName, waitFor } from '@accord/testkit';

/** The databases a ledger can live on. */
export type XaDialect = 'postgres' | 'mariadb';

/** Body of a local-work call: add `amount` (negative to debit) to `account`. */
export interface Move {
  readonly account: string;
  readonly amount: number;
}

/** What a local-work call answers: the balance inside the prepared transaction. */
export interface MoveResult {
  readonly balance: number;
}

/** One run of a participant on the ledger: an XA helper on a pool of its own. */
export interface LedgerSession {
  /** The helper, for phase two and recovery. */
  readonly xa: XaParticipant<unknown>;
  /**
   * The local-work route: applies a {@link Move} and leaves it prepared; 409 if it would
   * overdraw. A repeated call of a branch answers {@link XaDuplicateAnswer} instead.
   */
  readonly local: AccordHandlerFn<Move, MoveResult | XaDuplicateAnswer>;
  /** Ends the pool (prepared branches stay in the database). */
  end(): Promise<void>;
}

/** A ledger database, seen from outside the participant. */
export interface XaLedger {
  readonly dialect: XaDialect;
  /** Where this run's branches are named: the PostgreSQL prefix or the MariaDB format id. */
  readonly mark: string;
  /** Opens a participant session on a new pool. */
  session(): LedgerSession;
  /** Creates accounts with an opening balance. */
  open(accounts: readonly string[], balance: number): Promise<void>;
  /** An account's committed balance, or undefined when there is no such account. */
  balance(account: string): Promise<number | undefined>;
  /** How many journal rows a transaction left (committed ones only). */
  moves(gid: string): Promise<number>;
  /** This run's prepared branches, from `pg_prepared_xacts` or `XA RECOVER`. */
  prepared(): Promise<XaBranchKey[]>;
  /** Rolls back every prepared branch of this run; resolves to how many there were. */
  rollBackLeftovers(): Promise<number>;
  /** Rolls back leftovers, closes the outside connection and drops the schema/database. */
  close(): Promise<void>;
}

/**
 * A pg pool that survives the server dropping its idle clients (another suite restarting
 * PostgreSQL): the pool discards such a client, but an unheard 'error' event would crash
 * the whole test process.
 */
function pgPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
}

const refuse = (move: Move): never => {
  throw new BusinessFailure(`account ${move.account} cannot take ${move.amount}`);
};

/** A ledger in a fresh PostgreSQL schema. */
export async function createPgLedger(): Promise<XaLedger> {
  const schema = await createTempSchema('accord_xa_ledger', { service: 'postgresXa' });
  const prefix = uniqueName('xa').replaceAll('_', '-');
  const outside = pgPool(schema.url, 2);
  await outside.query(
    `CREATE TABLE accounts (id text PRIMARY KEY, balance int NOT NULL);
     CREATE TABLE moves (seq serial PRIMARY KEY, gid text NOT NULL, branch_id text NOT NULL,
       account text NOT NULL, amount int NOT NULL)`,
  );
  await pgXa(outside, { prefix }).migrate(outside);

  // Seen from outside through the helper's own listing and recovery, as an operator would.
  const outsideXa = pgXa(outside, { prefix });
  const ours = async (): Promise<XaBranchKey[]> =>
    (await outsideXa.preparedXids()).map(({ gid, branchId }) => ({ gid, branchId }));

  const rollBackLeftovers = async (): Promise<number> => {
    const report = await outsideXa.recover(async () => 'rollback');
    if (report.failed.length > 0) throw report.failed[0]?.error;
    return report.found;
  };

  return {
    dialect: 'postgres',
    mark: prefix,
    session() {
      const pool = pgPool(schema.url, 8);
      const xa = pgXa<pg.PoolClient>(pool, { prefix });
      const local = xaLocalHandler(xa, async (client, move: Move, ctx): Promise<MoveResult> => {
        const { rows } = await client.query<{ balance: number }>(
          'UPDATE accounts SET balance = balance + $2 WHERE id = $1 AND balance + $2 >= 0 RETURNING balance',
          [move.account, move.amount],
        );
        const row = rows[0] ?? refuse(move);
        await client.query(
          'INSERT INTO moves (gid, branch_id, account, amount) VALUES ($1, $2, $3, $4)',
          [ctx.gid, ctx.branchId, move.account, move.amount],
        );
        return { balance: row.balance };
      });
      return { xa, local, end: () => pool.end() };
    },
    async open(accounts, balance) {
      for (const id of accounts) {
        await outside.query('INSERT INTO accounts (id, balance) VALUES ($1, $2)', [id, balance]);
      }
    },
    async balance(account) {
      const { rows } = await outside.query<{ balance: number }>(
        'SELECT balance FROM accounts WHERE id = $1',
        [account],
      );
      return rows[0]?.balance;
    },
    async moves(gid) {
      const { rows } = await outside.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM moves WHERE gid = $1',
        [gid],
      );
      return rows[0]?.n ?? 0;
    },
    prepared: ours,
    rollBackLeftovers,
    async close() {
      try {
        const left = await rollBackLeftovers();
        if ((await ours()).length > 0) {
          throw new Error(`${left} prepared branches of ${prefix} could not be rolled back`);
        }
      } finally {
        await outside.end();
      }
      await schema.drop();
    },
  };
}

/** A ledger in a fresh MariaDB database. */
export async function createMariaLedger(): Promise<XaLedger> {
  const database = await createTempMysqlDatabase('accord_xa_ledger');
  const formatId = randomInt(1_000_000, 2_000_000_000);
  const outside = mysql.createPool({ uri: database.url, connectionLimit: 2 });
  await outside.query(
    'CREATE TABLE accounts (id varchar(100) PRIMARY KEY, balance int NOT NULL) ENGINE=InnoDB',
  );
  await outside.query(
    `CREATE TABLE moves (seq int AUTO_INCREMENT PRIMARY KEY, gid varchar(100) NOT NULL,
       branch_id varchar(32) NOT NULL, account varchar(100) NOT NULL, amount int NOT NULL) ENGINE=InnoDB`,
  );
  await mysqlXa(outside, { formatId }).migrate(outside);

  const outsideXa = mysqlXa(outside, { formatId });
  const ours = async (): Promise<XaBranchKey[]> =>
    (await outsideXa.preparedXids()).map(({ gid, branchId }) => ({ gid, branchId }));

  const rollBackLeftovers = async (): Promise<number> => {
    const found = (await ours()).length;
    // A branch still attached to a live session cannot be finished until that session
    // is gone: the pass reports it failed, and the next one tries again.
    await waitFor(
      async () => (await outsideXa.recover(async () => 'rollback')).failed.length === 0,
      {
        timeoutMs: 20_000,
        intervalMs: 50,
        what: `prepared branches of format id ${formatId} to roll back`,
      },
    );
    return found;
  };

  return {
    dialect: 'mariadb',
    mark: String(formatId),
    session() {
      const pool = mysql.createPool({ uri: database.url, connectionLimit: 8 });
      const xa = mysqlXa<mysql.PoolConnection>(pool, { formatId });
      const local = xaLocalHandler(xa, async (conn, move: Move, ctx): Promise<MoveResult> => {
        const [changed] = await conn.query<mysql.ResultSetHeader>(
          'UPDATE accounts SET balance = balance + ? WHERE id = ? AND balance + ? >= 0',
          [move.amount, move.account, move.amount],
        );
        if (changed.affectedRows !== 1) refuse(move);
        await conn.query(
          'INSERT INTO moves (gid, branch_id, account, amount) VALUES (?, ?, ?, ?)',
          [ctx.gid, ctx.branchId, move.account, move.amount],
        );
        const [rows] = await conn.query<mysql.RowDataPacket[]>(
          'SELECT balance FROM accounts WHERE id = ?',
          [move.account],
        );
        return { balance: Number(rows[0]?.['balance']) };
      });
      return { xa, local, end: () => pool.end() };
    },
    async open(accounts, balance) {
      for (const id of accounts) {
        await outside.query('INSERT INTO accounts (id, balance) VALUES (?, ?)', [id, balance]);
      }
    },
    async balance(account) {
      const [rows] = await outside.query<mysql.RowDataPacket[]>(
        'SELECT balance FROM accounts WHERE id = ?',
        [account],
      );
      const value: unknown = rows[0]?.['balance'];
      return value === undefined ? undefined : Number(value);
    },
    async moves(gid) {
      const [rows] = await outside.query<mysql.RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM moves WHERE gid = ?',
        [gid],
      );
      return Number(rows[0]?.['n'] ?? 0);
    },
    prepared: ours,
    rollBackLeftovers,
    async close() {
      try {
        await rollBackLeftovers();
      } finally {
        await outside.end();
      }
      await database.drop();
    },
  };
}
