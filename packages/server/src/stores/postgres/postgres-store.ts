/**
 * The shared store: PostgreSQL through a `pg` pool. Any number of coordinator instances
 * may use one database; claims are single statements (`FOR UPDATE SKIP LOCKED` +
 * `UPDATE ... RETURNING`) and every write is fenced.
 */
import pg from 'pg';
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
import { SILENT_LOGGER, type StoreLogger } from '../common/logger.js';
import { listSql } from '../common/list-sql.js';
import { pendingMigrations } from '../common/migration.js';
import {
  attemptColumns,
  branchOpColumns,
  byDueOrder,
  groupOps,
  lastPerKey,
  toAttempt,
  toBranchOp,
  toStoreSummary,
  toTransaction,
  transactionColumns,
  type Row,
} from '../common/rows.js';
import {
  POSTGRES_MIGRATIONS,
  POSTGRES_MIGRATIONS_TABLE_SQL,
  POSTGRES_MIGRATION_LOCK_SQL,
} from './postgres-migrations.js';
import { SqlKeyValues } from '../common/sql-kv.js';
import { POSTGRES_KV_SQL } from './postgres-kv.js';
import { POSTGRES_LIST_DIALECT, POSTGRES_SQL as SQL } from './postgres-sql.js';
import { gidsReleasingLocks, SqlRowLocks } from '../common/sql-row-locks.js';
import { POSTGRES_LOCK_SQL, POSTGRES_RELEASE_LOCKS_OF_MANY_SQL } from './postgres-locks.js';

/** SQLSTATE of a unique constraint violation. */
const UNIQUE_VIOLATION = '23505';

function pgCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:port/database`; may carry
   * `?options=-c search_path=<schema>` to keep Accord's tables in their own schema.
   */
  readonly connectionString: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number | undefined;
  /** How long to wait for a connection (new or from the pool) before failing, ms (default 10 000). */
  readonly connectTimeoutMs?: number | undefined;
  readonly logger?: StoreLogger | undefined;
}

function opsJson(ops: readonly BranchOp[]): string {
  return JSON.stringify(lastPerKey(ops).map(branchOpColumns));
}

function attemptsJson(attempts: readonly AttemptRecord[]): string {
  return JSON.stringify(attempts.map(attemptColumns));
}

function insertParams(tx: TransactionRecord, ops: readonly BranchOp[]): unknown[] {
  const c = transactionColumns(tx);
  return [
    c.gid,
    c.mode,
    c.status,
    JSON.stringify(c.options),
    c.check_url,
    c.fingerprint,
    c.reason,
    c.created_at,
    c.updated_at,
    c.finished_at,
    c.deadline_at,
    c.next_attempt_at,
    c.parked,
    c.lease_owner,
    c.lease_until,
    c.fence,
    opsJson(ops),
    c.paused,
    JSON.stringify(c.labels),
  ];
}

function writeParams(w: TransactionWrite): unknown[] {
  const t = w.tx;
  return [
    w.gid,
    w.fence,
    t.status,
    t.reason,
    t.updatedAt,
    t.finishedAt,
    t.deadlineAt,
    t.nextAttemptAt,
    t.parked,
    w.release,
    opsJson(w.ops),
    attemptsJson(w.attempts),
    t.paused,
  ];
}

/** Parameters of {@link POSTGRES_SQL.writeMany}: changes, ops and attempts, each tagged with its gid. */
function manyWriteParams(writes: readonly TransactionWrite[]): unknown[] {
  const changes = writes.map((w) => ({
    gid: w.gid,
    fence: w.fence,
    status: w.tx.status,
    reason: w.tx.reason,
    updated_at: w.tx.updatedAt,
    finished_at: w.tx.finishedAt,
    deadline_at: w.tx.deadlineAt,
    next_attempt_at: w.tx.nextAttemptAt,
    parked: w.tx.parked,
    paused: w.tx.paused,
    release: w.release,
  }));
  const ops = writes.flatMap((w) =>
    lastPerKey(w.ops).map((op) => ({ gid: w.gid, ...branchOpColumns(op) })),
  );
  const attempts = writes
    .flatMap((w) => w.attempts.map((a) => ({ gid: w.gid, ...attemptColumns(a) })))
    .map((a, n) => ({ ...a, n }));
  return [JSON.stringify(changes), JSON.stringify(ops), JSON.stringify(attempts)];
}

/**
 * {@link Store} on PostgreSQL.
 *
 * @example
 * const store = new PostgresStore({ connectionString: 'postgres://accord@db/accord' });
 * await store.migrate();
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly capabilities: StoreCapabilities = {
    durableCommits: true,
    sharedByInstances: true,
    skipLocked: true,
  };
  readonly kv = new SqlKeyValues(POSTGRES_KV_SQL, async (sql, params) => {
    const result = await this.pool.query<Row>(sql, params);
    return { rows: result.rows, changed: result.rowCount ?? 0 };
  });
  readonly locks = new SqlRowLocks({
    statements: POSTGRES_LOCK_SQL,
    transaction: (work) =>
      this.transaction((client) =>
        work(async (sql, params) => {
          const result = await client.query<Row>(sql, params);
          return { rows: result.rows, changed: result.rowCount ?? 0 };
        }),
      ),
    run: async (sql, params) => {
      const result = await this.pool.query<Row>(sql, params);
      return { rows: result.rows, changed: result.rowCount ?? 0 };
    },
    isDuplicate: (error) => pgCode(error) === UNIQUE_VIOLATION,
  });
  private readonly pool: pg.Pool;
  private readonly logger: StoreLogger;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.logger = options.logger ?? SILENT_LOGGER;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: 'accord',
      // A network that silently drops packets would otherwise leave a query waiting for
      // as long as TCP takes to notice; store statements are short, so give each a deadline.
      query_timeout: 30_000,
      keepAlive: true,
    });
    // An idle connection dropped by the server must not crash the process; the next
    // query gets a fresh connection.
    this.pool.on('error', (error) => {
      this.logger.error({ err: error.message }, 'postgres store: idle connection failed');
    });
  }

  async migrate(): Promise<void> {
    const applied = await this.transaction(async (client) => {
      await client.query(POSTGRES_MIGRATION_LOCK_SQL);
      await client.query(POSTGRES_MIGRATIONS_TABLE_SQL);
      const done = await client.query<{ version: number }>(SQL.appliedMigrations);
      const pending = pendingMigrations(
        POSTGRES_MIGRATIONS,
        new Set(done.rows.map((r) => r.version)),
      );
      for (const m of pending) {
        await client.query(m.sql);
        await client.query(SQL.recordMigration, [m.version, m.name, Date.now()]);
      }
      return pending;
    });
    for (const m of applied) {
      this.logger.info({ version: m.version, name: m.name }, 'postgres store: migration applied');
    }
  }

  /**
   * Inserts one transaction in a statement of its own: for an insert of a batch that
   * conflicted with a row that retention deleted before it could be read.
   */
  private async insertAlone(
    tx: TransactionRecord,
    ops: readonly BranchOp[],
  ): Promise<InsertResult> {
    for (let round = 0; round < 3; round += 1) {
      const result = await this.pool.query<{ inserted: number }>(SQL.insert, insertParams(tx, ops));
      if (result.rows[0]?.inserted === 1) return { inserted: true };
      const existing = await this.get(tx.gid);
      if (existing) return { inserted: false, existing };
    }
    throw new Error(`postgres store: insert of ${tx.gid} kept conflicting with a vanishing row`);
  }

  async commit(batch: StoreBatch): Promise<BatchResult> {
    if (batch.inserts.length === 0 && batch.writes.length === 0)
      return { inserted: [], written: [] };
    const { fresh, written } = await this.transaction(async (client) => {
      const fresh = await this.applyInserts(client, batch.inserts);
      const written = await this.applyWrites(client, batch.writes);
      const ended = gidsReleasingLocks(batch.writes, written);
      if (ended.length > 0) await client.query(POSTGRES_RELEASE_LOCKS_OF_MANY_SQL, [ended]);
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
    const result = await this.pool.query<Row>(SQL.get, [gid]);
    const row = result.rows[0];
    if (!row) return undefined;
    return { tx: toTransaction(row), ops: (row['ops_json'] as Row[]).map(toBranchOp) };
  }

  async history(gid: string): Promise<AttemptRecord[]> {
    const result = await this.pool.query<Row>(SQL.selectHistory, [gid]);
    return result.rows.map(toAttempt);
  }

  /**
   * Inserts new transactions inside an open transaction; true for each one inserted. A
   * batch of distinct gids is one statement; otherwise they go one by one in gid order.
   */
  private async applyInserts(
    client: pg.PoolClient,
    inserts: readonly TransactionInsert[],
  ): Promise<boolean[]> {
    if (inserts.length === 0) return [];
    const gids = inserts.map((i) => i.tx.gid);
    if (inserts.length > 1 && new Set(gids).size === gids.length) {
      const rows = JSON.stringify(inserts.map((i) => transactionColumns(i.tx)));
      const ops = JSON.stringify(
        inserts.flatMap((i) =>
          lastPerKey(i.ops).map((op) => ({ gid: i.tx.gid, ...branchOpColumns(op) })),
        ),
      );
      const result = await client.query<{ gid: string }>(SQL.insertMany, [rows, ops]);
      const inserted = new Set(result.rows.map((r) => r.gid));
      return gids.map((gid) => inserted.has(gid));
    }
    const fresh = new Array<boolean>(inserts.length).fill(false);
    const order = inserts
      .map((item, i) => ({ item, i }))
      .sort((a, b) => compare(a.item.tx.gid, b.item.tx.gid));
    for (const { item, i } of order) {
      const result = await client.query<{ inserted: number }>(
        SQL.insert,
        insertParams(item.tx, item.ops),
      );
      fresh[i] = result.rows[0]?.inserted === 1;
    }
    return fresh;
  }

  /**
   * Applies fenced writes inside an open transaction. A batch of distinct transactions is
   * one set-based statement (after locking its rows in gid order), so a group commit costs
   * a fixed number of round trips; a single write, or two writes to one gid, go one by one.
   */
  private async applyWrites(
    client: pg.PoolClient,
    writes: readonly TransactionWrite[],
  ): Promise<boolean[]> {
    if (writes.length === 0) return [];
    const gids = writes.map((w) => w.gid);
    if (writes.length > 1 && new Set(gids).size === gids.length) {
      await client.query(SQL.lockMany, [gids]);
      const result = await client.query<{ gid: string }>(SQL.writeMany, manyWriteParams(writes));
      const applied = new Set(result.rows.map((r) => r.gid));
      return writes.map((w) => applied.has(w.gid));
    }
    // Rows are locked in gid order so that concurrent batches cannot deadlock; writes to
    // one gid keep their relative order (stable sort).
    const order = writes.map((w, i) => ({ w, i })).sort((a, b) => compare(a.w.gid, b.w.gid));
    const applied = new Array<boolean>(writes.length).fill(false);
    for (const { w, i } of order) {
      const result = await client.query<{ applied: number }>(SQL.write, writeParams(w));
      applied[i] = result.rows[0]?.applied === 1;
    }
    return applied;
  }

  async claim(
    gid: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<TransactionSnapshot | undefined> {
    const result = await this.pool.query<Row>(SQL.claim, [gid, owner, now, now + leaseMs]);
    const row = result.rows[0];
    if (!row) return undefined;
    // Read after the claim committed: from now on only this holder can change the ops.
    const [snapshot] = await this.withOps([toTransaction(row)]);
    return snapshot;
  }

  async claimDue(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<TransactionSnapshot[]> {
    if (!(limit >= 1)) return [];
    const params = [owner, now, now + leaseMs, Math.trunc(limit)];
    const result = await this.pool.query<Row>(SQL.claimDue, params);
    return this.withOps(result.rows.map(toTransaction).sort(byDueOrder));
  }

  async renew(leases: readonly LeaseRef[], owner: string, until: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    const gids = leases.map((l) => l.gid);
    const fences = leases.map((l) => l.fence);
    const result = await this.pool.query<Row>(SQL.renew, [gids, fences, owner, until]);
    const extended = new Set(result.rows.map((r) => `${String(r['gid'])}:${String(r['fence'])}`));
    return leases.map((l) => extended.has(`${l.gid}:${l.fence}`));
  }

  async list(query: ListQuery): Promise<ListPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const limit = pageSize(query.limit);
    const { sql, params } = listSql(query, cursor, limit, POSTGRES_LIST_DIALECT);
    const result = await this.pool.query<Row>(sql, params);
    const items = result.rows.slice(0, limit).map(toTransaction);
    const last = items[items.length - 1];
    const more = result.rows.length > limit && last !== undefined;
    return { items, nextCursor: more ? encodeCursor(last) : null };
  }

  async hasten(query: HastenQuery): Promise<number> {
    if (!(query.limit >= 1)) return 0;
    const params = [query.now, query.laterThan, Math.trunc(query.limit), query.gid ?? null];
    const result = await this.pool.query(SQL.hasten, params);
    return result.rowCount ?? 0;
  }

  async countParked(): Promise<number> {
    const result = await this.pool.query<{ n: number }>(SQL.countParked);
    return result.rows[0]?.n ?? 0;
  }

  async summarize(now: number): Promise<StoreSummary> {
    const [live, due] = await Promise.all([
      this.pool.query<Row>(SQL.countLive),
      this.pool.query<{ at: number | null }>(SQL.oldestDue, [now]),
    ]);
    return toStoreSummary(live.rows, due.rows[0]?.at);
  }

  async purgeTerminal(finishedBefore: number, limit: number): Promise<number> {
    const result = await this.pool.query(SQL.purgeTerminal, [finishedBefore, limit]);
    return result.rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query(SQL.ping);
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  private async withOps(txs: TransactionRecord[]): Promise<TransactionSnapshot[]> {
    if (txs.length === 0) return [];
    const result = await this.pool.query<Row>(SQL.selectOpsOfMany, [txs.map((tx) => tx.gid)]);
    const ops = groupOps(result.rows);
    return txs.map((tx) => ({ tx, ops: ops.get(tx.gid) ?? [] }));
  }

  /** Runs `work` in one database transaction on one pooled connection. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection that dies while checked out emits 'error' on the client; without a
    // listener that would crash the process. The failed query rejects on its own.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.off('error', onError);
      // A connection that failed (or whose rollback failed) is discarded, not reused.
      client.release(broken);
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
