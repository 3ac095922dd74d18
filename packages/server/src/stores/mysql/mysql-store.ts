/**
 * The shared store on MySQL (8.0.1+) or MariaDB (10.6+) through a `mysql2` pool. Any
 * number of coordinator instances may use one database: claims lock rows with
 * `FOR UPDATE SKIP LOCKED` before taking them, and every write is fenced. Batches lock
 * rows in gid order and are retried whole after a deadlock or lock wait timeout.
 */
import mysql from 'mysql2/promise';
import type {
  AttemptRecord,
  BatchResult,
  BranchOp,
  InsertResult,
  HastenQuery,
  LeaseRef,
  ListPage,
  ListQuery,
  Store,
  StoreBatch,
  StoreCapabilities,
  StoreSummary,
  TransactionInsert,
  TransactionRecord,
  TransactionSnapshot,
  TransactionWrite,
} from '@accord/core';
import { decodeCursor, encodeCursor, pageSize } from '../common/cursor.js';
import { gidsReleasingLocks, SqlRowLocks } from '../common/sql-row-locks.js';
import { MYSQL_LOCK_SQL, mysqlReleaseLocksOfMany } from './mysql-locks.js';
import { SILENT_LOGGER, type StoreLogger } from '../common/logger.js';
import { listSql } from '../common/list-sql.js';
import { pendingMigrations, type Migration } from '../common/migration.js';
import { SqlKeyValues } from '../common/sql-kv.js';
import {
  attemptColumns,
  branchOpColumns,
  byDueOrder,
  lastPerKey,
  toAttempt,
  toBranchOp,
  toStoreSummary,
  toTransaction,
  transactionColumns,
  type Row,
} from '../common/rows.js';
import {
  MYSQL_MIGRATIONS,
  MYSQL_MIGRATIONS_TABLE_SQL,
  MYSQL_MIGRATION_LOCK_SQL,
  MYSQL_MIGRATION_LOCK_TIMEOUT_S,
  MYSQL_MIGRATION_UNLOCK_SQL,
  migrationStatements,
} from './mysql-migrations.js';
import { MYSQL_KV_SQL } from './mysql-kv.js';
import {
  ATTEMPT_COLUMNS,
  MYSQL_LIST_DIALECT,
  MYSQL_SESSION_SQL,
  MYSQL_SQL as SQL,
  OP_COLUMNS,
  OP_PREFIX,
  TX_COLUMNS,
} from './mysql-sql.js';

/** Where the server is, when not given as a URL. */
export interface MysqlConnectionOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** A Unix socket, instead of host and port. */
  readonly socketPath?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database: string;
}

interface MysqlStoreCommonOptions {
  /** Connections in the pool (default 10). */
  readonly poolSize?: number | undefined;
  /** How long to wait for a new connection, ms (default 10 000). */
  readonly connectTimeoutMs?: number | undefined;
  readonly logger?: StoreLogger | undefined;
}

/** Options of {@link MysqlStore}: a URL or connection options, not both. */
export type MysqlStoreOptions = MysqlStoreCommonOptions &
  (
    | {
        /**
         * `mysql://user:password@host:3306/database` (or `mariadb://`); driver options may
         * follow as query parameters, e.g. `?ssl={"rejectUnauthorized":true}`.
         */
        readonly url: string;
        readonly connection?: undefined;
      }
    | { readonly connection: MysqlConnectionOptions; readonly url?: undefined }
  );

type Connection = mysql.PoolConnection;

/** MySQL error numbers the store reacts to. */
const ER_DUP_ENTRY = 1062;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;
/** Runs of a transaction that deadlocks or times out on a lock before giving up. */
const MAX_TRIES = 5;

function errno(error: unknown): number | undefined {
  const n = (error as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/** A connection error after which the connection must not go back to the pool. */
function isFatal(error: unknown): boolean {
  return (error as { fatal?: unknown } | null)?.fatal === true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function select(c: Connection, sql: string, params: unknown[] = []): Promise<Row[]> {
  const [rows] = await c.query<mysql.RowDataPacket[]>(sql, params);
  return rows;
}

/** Runs one statement: its rows, or how many rows it changed. */
async function run(
  c: Connection,
  sql: string,
  params: unknown[],
): Promise<{ rows: Row[]; changed: number }> {
  const [result] = await c.query<mysql.RowDataPacket[] | mysql.ResultSetHeader>(sql, params);
  return Array.isArray(result)
    ? { rows: result, changed: 0 }
    : { rows: [], changed: result.affectedRows };
}

/** Rows the statement found (the driver sets CLIENT_FOUND_ROWS), or deleted. */
async function affected(c: Connection, sql: string, params: unknown[]): Promise<number> {
  const [result] = await c.query<mysql.ResultSetHeader>(sql, params);
  return result.affectedRows;
}

function transactionParams(tx: TransactionRecord): unknown[] {
  const c = transactionColumns(tx);
  return TX_COLUMNS.map((k) => (k === 'options' || k === 'labels' ? JSON.stringify(c[k]) : c[k]));
}

function opRows(gid: string, ops: readonly BranchOp[]): unknown[][] {
  return lastPerKey(ops).map((op) => {
    const c = branchOpColumns(op);
    return [gid, ...OP_COLUMNS.map((k) => (k === 'depends_on' ? JSON.stringify(c[k]) : c[k]))];
  });
}

function attemptRows(gid: string, attempts: readonly AttemptRecord[]): unknown[][] {
  return attempts.map((a) => {
    const c = attemptColumns(a);
    return [gid, ...ATTEMPT_COLUMNS.map((k) => c[k])];
  });
}

/** Snapshots from rows of {@link SQL.selectSnapshots}, by gid. */
function snapshotsOf(rows: readonly Row[]): Map<string, TransactionSnapshot> {
  const byGid = new Map<string, TransactionSnapshot>();
  for (const row of rows) {
    const gid = String(row['gid']);
    let snapshot = byGid.get(gid);
    if (!snapshot) {
      snapshot = { tx: toTransaction(row), ops: [] };
      byGid.set(gid, snapshot);
    }
    if (row[`${OP_PREFIX}branch_id`] === null) continue;
    const opRow: Row = { gid };
    for (const column of OP_COLUMNS) opRow[column] = row[`${OP_PREFIX}${column}`];
    snapshot.ops.push(toBranchOp(opRow));
  }
  return byGid;
}

async function readSnapshots(
  c: Connection,
  gids: readonly string[],
): Promise<Map<string, TransactionSnapshot>> {
  if (gids.length === 0) return new Map();
  return snapshotsOf(await select(c, SQL.selectSnapshots, [gids]));
}

/**
 * Inserts transactions (in the given order) and then all their ops in one statement;
 * false for a gid already taken (nothing written for it).
 */
async function applyInserts(
  c: Connection,
  inserts: readonly { item: TransactionInsert; i: number }[],
  count: number,
): Promise<boolean[]> {
  const fresh = new Array<boolean>(count).fill(false);
  const ops: unknown[][] = [];
  for (const { item, i } of inserts) {
    try {
      await affected(c, SQL.insertTransaction, transactionParams(item.tx));
    } catch (error) {
      // InnoDB rolls back just the failed statement; the transaction goes on.
      if (errno(error) === ER_DUP_ENTRY) continue;
      throw error;
    }
    fresh[i] = true;
    ops.push(...opRows(item.tx.gid, item.ops));
  }
  if (ops.length > 0) await affected(c, SQL.upsertOps, [ops]);
  return fresh;
}

/**
 * Fenced writes (in the given order): each UPDATE decides whether its write applies; the
 * ops and attempts of every applied write then go in one statement each, so a group
 * commit costs one round trip per write plus two.
 */
async function applyWrites(
  c: Connection,
  writes: readonly { item: TransactionWrite; i: number }[],
  count: number,
): Promise<boolean[]> {
  const applied = new Array<boolean>(count).fill(false);
  const ops: unknown[][] = [];
  const attempts: unknown[][] = [];
  for (const { item: w, i } of writes) {
    const t = w.tx;
    const found = await affected(c, SQL.updateTransaction, [
      t.status,
      t.reason,
      t.updatedAt,
      t.finishedAt,
      t.deadlineAt,
      t.nextAttemptAt,
      t.parked,
      t.paused,
      w.release,
      w.release,
      w.gid,
      w.fence,
    ]);
    if (found !== 1) continue;
    applied[i] = true;
    ops.push(...opRows(w.gid, w.ops));
    attempts.push(...attemptRows(w.gid, w.attempts));
  }
  if (ops.length > 0) await affected(c, SQL.upsertOps, [ops]);
  if (attempts.length > 0) await affected(c, SQL.insertAttempts, [attempts]);
  return applied;
}

/** Indexes sorted by key (stable), so rows are locked in one global order. */
function byKey<V>(items: readonly V[], key: (item: V) => string): { item: V; i: number }[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => compare(key(a.item), key(b.item)) || a.i - b.i);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * {@link Store} on MySQL or MariaDB (InnoDB).
 *
 * @example
 * const store = new MysqlStore({ url: 'mysql://accord:secret@db:3306/accord' });
 * await store.migrate();
 */
export class MysqlStore implements Store {
  readonly kind = 'mysql';
  readonly capabilities: StoreCapabilities = {
    durableCommits: true,
    sharedByInstances: true,
    skipLocked: true,
  };
  readonly kv = new SqlKeyValues(
    MYSQL_KV_SQL,
    (sql, params) =>
      this.withConnection(async (c) => {
        const [result] = await c.query<mysql.RowDataPacket[] | mysql.ResultSetHeader>(sql, params);
        return Array.isArray(result)
          ? { rows: result, changed: 0 }
          : { rows: [], changed: result.affectedRows };
      }),
    (error) => errno(error) === ER_DUP_ENTRY,
  );
  readonly locks = new SqlRowLocks({
    statements: MYSQL_LOCK_SQL,
    transaction: (work) => this.transaction((c) => work((sql, params) => run(c, sql, params))),
    run: (sql, params) => this.withConnection((c) => run(c, sql, params)),
    isDuplicate: (error) => errno(error) === ER_DUP_ENTRY,
  });
  private readonly pool: mysql.Pool;
  private readonly logger: StoreLogger;
  /** Connections whose session settings are applied (keyed by the driver's connection). */
  private readonly prepared = new WeakSet<object>();
  private closing: Promise<void> | undefined;

  constructor(options: MysqlStoreOptions) {
    this.logger = options.logger ?? SILENT_LOGGER;
    const where = options.url === undefined ? { ...options.connection } : { uri: options.url };
    this.pool = mysql.createPool({
      ...where,
      connectionLimit: options.poolSize ?? 10,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      waitForConnections: true,
      enableKeepAlive: true,
      charset: 'UTF8MB4_BIN',
      // BIGINT comes back as text and is converted by the row readers, which reject
      // anything that is not a safe integer instead of rounding it.
      supportBigNumbers: true,
      bigNumberStrings: true,
      multipleStatements: false,
    });
  }

  async migrate(): Promise<void> {
    const c = await this.acquire();
    let locked = false;
    let healthy = true;
    let applied: Migration[];
    try {
      const [lock] = await select(c, MYSQL_MIGRATION_LOCK_SQL, [MYSQL_MIGRATION_LOCK_TIMEOUT_S]);
      locked = Number(lock?.['locked']) === 1;
      if (!locked) {
        throw new Error(
          `mysql store: another instance held the migration lock for ${MYSQL_MIGRATION_LOCK_TIMEOUT_S} s`,
        );
      }
      await c.query(MYSQL_MIGRATIONS_TABLE_SQL);
      const done = await select(c, SQL.appliedMigrations);
      applied = pendingMigrations(MYSQL_MIGRATIONS, new Set(done.map((r) => Number(r['version']))));
      // DDL commits implicitly: each statement stands alone, and the version is recorded
      // once all of its statements ran.
      for (const m of applied) {
        for (const statement of migrationStatements(m.sql)) await c.query(statement);
        await c.query(SQL.recordMigration, [m.version, m.name, Date.now()]);
      }
    } finally {
      // A session that cannot give the lock up is closed, which gives it up.
      if (locked) {
        await c.query(MYSQL_MIGRATION_UNLOCK_SQL).catch(() => {
          healthy = false;
        });
      }
      if (healthy) c.release();
      else c.destroy();
    }
    for (const m of applied) {
      this.logger.info({ version: m.version, name: m.name }, 'mysql store: migration applied');
    }
  }

  /**
   * Inserts one transaction in a transaction of its own: for an insert of a batch that
   * conflicted with a row that retention deleted before it could be read.
   */
  private async insertAlone(
    tx: TransactionRecord,
    ops: readonly BranchOp[],
  ): Promise<InsertResult> {
    for (let round = 0; round < 3; round += 1) {
      const [inserted] = await this.transaction((c) =>
        applyInserts(c, [{ item: { tx, ops }, i: 0 }], 1),
      );
      if (inserted) return { inserted: true };
      const existing = await this.get(tx.gid);
      if (existing) return { inserted: false, existing };
    }
    throw new Error(`mysql store: insert of ${tx.gid} kept conflicting with a vanishing row`);
  }

  async commit(batch: StoreBatch): Promise<BatchResult> {
    if (batch.inserts.length === 0 && batch.writes.length === 0) {
      return { inserted: [], written: [] };
    }
    // Locks are taken in gid order (inserts, then writes) so concurrent batches rarely
    // deadlock; writes to one gid keep their relative order.
    const inserts = byKey(batch.inserts, (x) => x.tx.gid);
    const writes = byKey(batch.writes, (w) => w.gid);
    const { fresh, written } = await this.transaction(async (c) => {
      const fresh = await applyInserts(c, inserts, batch.inserts.length);
      const written = await applyWrites(c, writes, batch.writes.length);
      const ended = gidsReleasingLocks(batch.writes, written);
      if (ended.length > 0) await affected(c, ...mysqlReleaseLocksOfMany(ended));
      return { fresh, written };
    });
    // Conflicting inserts report the row that was already there, read after the commit.
    const inserted = await Promise.all(
      batch.inserts.map(async (item, i): Promise<InsertResult> => {
        if (fresh[i]) return { inserted: true };
        const existing = await this.get(item.tx.gid);
        return existing ? { inserted: false, existing } : this.insertAlone(item.tx, item.ops);
      }),
    );
    return { inserted, written };
  }

  async get(gid: string): Promise<TransactionSnapshot | undefined> {
    return this.withConnection(async (c) => (await readSnapshots(c, [gid])).get(gid));
  }

  async history(gid: string): Promise<AttemptRecord[]> {
    const rows = await this.withConnection((c) => select(c, SQL.selectHistory, [gid]));
    return rows.map(toAttempt);
  }

  async claim(
    gid: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<TransactionSnapshot | undefined> {
    return this.transaction(async (c) => {
      const found = await affected(c, SQL.claim, [owner, now + leaseMs, gid, now]);
      if (found !== 1) return undefined;
      // Read under the new lease: from now on only this holder can change the ops.
      return (await readSnapshots(c, [gid])).get(gid);
    });
  }

  async claimDue(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<TransactionSnapshot[]> {
    if (!(limit >= 1)) return [];
    const claimed = await this.transaction(async (c) => {
      const due = await select(c, SQL.lockDue, [now, now, Math.trunc(limit)]);
      const gids = due.map((r) => String(r['gid']));
      if (gids.length === 0) return [];
      await affected(c, SQL.claimLocked, [owner, now + leaseMs, gids]);
      return [...(await readSnapshots(c, gids)).values()];
    });
    return claimed.sort((a, b) => byDueOrder(a.tx, b.tx));
  }

  async hasten(query: HastenQuery): Promise<number> {
    if (!(query.limit >= 1)) return 0;
    const { now } = query;
    const gid = query.gid ?? null;
    return this.transaction(async (c) => {
      const params = [query.laterThan, now, gid, gid, Math.trunc(query.limit)];
      const gids = (await select(c, SQL.lockWaiting, params)).map((r) => String(r['gid']));
      if (gids.length === 0) return 0;
      await affected(c, SQL.hastenLocked, [now, gids]);
      await affected(c, SQL.hastenOps, [now, gids, now]);
      return gids.length;
    });
  }

  async renew(leases: readonly LeaseRef[], owner: string, until: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    const gids = [...new Set(leases.map((l) => l.gid))];
    const held = await this.transaction(async (c) => {
      const rows = await select(c, SQL.lockLeases, [gids, owner]);
      const fences = new Map(rows.map((r) => [String(r['gid']), Number(r['fence'])]));
      const renewed = leases.filter((l) => fences.get(l.gid) === l.fence).map((l) => l.gid);
      if (renewed.length > 0) await affected(c, SQL.renewLocked, [until, renewed]);
      return fences;
    });
    return leases.map((l) => held.get(l.gid) === l.fence);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const limit = pageSize(query.limit);
    const { sql, params } = listSql(query, cursor, limit, MYSQL_LIST_DIALECT);
    const rows = await this.withConnection((c) => select(c, sql, params));
    const items = rows.slice(0, limit).map(toTransaction);
    const last = items[items.length - 1];
    const more = rows.length > limit && last !== undefined;
    return { items, nextCursor: more ? encodeCursor(last) : null };
  }

  async countParked(): Promise<number> {
    const [row] = await this.withConnection((c) => select(c, SQL.countParked));
    return Number(row?.['n'] ?? 0);
  }

  async summarize(now: number): Promise<StoreSummary> {
    const [live, due] = await this.withConnection(async (c) => [
      await select(c, SQL.countLive),
      await select(c, SQL.oldestDue, [now, now]),
    ]);
    return toStoreSummary(live, due[0]?.['at']);
  }

  async purgeTerminal(finishedBefore: number, limit: number): Promise<number> {
    if (!(limit >= 1)) return 0;
    return this.transaction(async (c) => {
      const rows = await select(c, SQL.lockPurgeable, [finishedBefore, Math.trunc(limit)]);
      if (rows.length === 0) return 0;
      return affected(c, SQL.deleteTransactions, [rows.map((r) => String(r['gid']))]);
    });
  }

  async ping(): Promise<void> {
    await this.withConnection((c) => select(c, SQL.ping));
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  /** A pooled connection with the session settings applied. */
  private async acquire(): Promise<Connection> {
    if (this.closing) throw new Error('mysql store: closed');
    const c = await this.pool.getConnection();
    if (!this.prepared.has(c.connection)) {
      try {
        for (const sql of MYSQL_SESSION_SQL) await c.query(sql);
      } catch (error) {
        c.destroy();
        throw error;
      }
      this.prepared.add(c.connection);
    }
    return c;
  }

  /** Runs `work` on one pooled connection (autocommit) and gives the connection back. */
  private async withConnection<T>(work: (c: Connection) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    try {
      const value = await work(c);
      c.release();
      return value;
    } catch (error) {
      if (isFatal(error)) c.destroy();
      else c.release();
      throw error;
    }
  }

  /**
   * Runs `work` in one database transaction on one pooled connection. After a deadlock or
   * a lock wait timeout the whole transaction is rolled back and run again, so `work`
   * must start from scratch each time.
   */
  private async transaction<T>(work: (c: Connection) => Promise<T>): Promise<T> {
    for (let run = 1; ; run += 1) {
      try {
        return await this.transactionOnce(work);
      } catch (error) {
        const code = errno(error);
        const retryable = code === ER_LOCK_DEADLOCK || code === ER_LOCK_WAIT_TIMEOUT;
        if (!retryable || run >= MAX_TRIES) throw error;
        await sleep(Math.random() * 5 * 2 ** run);
      }
    }
  }

  private async transactionOnce<T>(work: (c: Connection) => Promise<T>): Promise<T> {
    const c = await this.acquire();
    let healthy = true;
    try {
      await c.query(SQL.begin);
      const value = await work(c);
      await c.query(SQL.commit);
      return value;
    } catch (error) {
      // A connection whose rollback failed is discarded rather than reused.
      await c.query(SQL.rollback).catch(() => {
        healthy = false;
      });
      throw error;
    } finally {
      if (healthy) c.release();
      else c.destroy();
    }
  }
}
