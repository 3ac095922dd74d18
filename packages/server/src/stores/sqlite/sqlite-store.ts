/**
 * The embedded default store: one SQLite file in the data dir, WAL mode, every commit
 * synced before its promise resolves. better-sqlite3 is synchronous, so each method runs
 * to completion (including its SQLite transaction) before any other JavaScript runs;
 * SQLite's own locking covers other processes on the same file.
 */
import Database from 'better-sqlite3';
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
import { SqliteKeyValues } from './sqlite-kv.js';
import { holdExclusiveLock } from './sqlite-lock.js';
import { SQLITE_MIGRATIONS, SQLITE_MIGRATIONS_TABLE_SQL } from './sqlite-migrations.js';
import { SqliteRowLocks } from './sqlite-locks.js';
import { SQLITE_LIST_DIALECT, SQLITE_PRAGMAS, SQLITE_SQL as SQL } from './sqlite-sql.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file path, or `:memory:` (tests only: nothing survives a restart). */
  readonly path: string;
  readonly logger?: StoreLogger | undefined;
}

type Params = Record<string, unknown>;

function txParams(tx: TransactionRecord): Params {
  const c = transactionColumns(tx);
  return {
    ...c,
    options: JSON.stringify(c.options),
    labels: JSON.stringify(c.labels),
    parked: c.parked ? 1 : 0,
    paused: c.paused ? 1 : 0,
  };
}

function opParams(gid: string, op: BranchOp): Params {
  const c = branchOpColumns(op);
  return { gid, ...c, depends_on: JSON.stringify(c.depends_on) };
}

function attemptParams(gid: string, attempt: AttemptRecord): Params {
  return { gid, ...attemptColumns(attempt) };
}

/** Runs synchronous work and hands back its result, or its exception, as a promise. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * {@link Store} on SQLite via better-sqlite3.
 *
 * @example
 * const store = new SqliteStore({ path: join(dataDir, 'accord.db') });
 * await store.migrate();
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly capabilities: StoreCapabilities;
  readonly kv: SqliteKeyValues;
  readonly locks: SqliteRowLocks;
  private readonly path: string;
  private readonly db: Database.Database;
  private readonly logger: StoreLogger;
  private readonly statements = new Map<string, Database.Statement>();
  /** Held while this instance has the database to itself (see {@link lockExclusive}). */
  private lock: Database.Database | undefined;

  constructor(options: SqliteStoreOptions) {
    this.logger = options.logger ?? SILENT_LOGGER;
    this.path = options.path;
    this.db = new Database(options.path);
    for (const pragma of SQLITE_PRAGMAS) this.db.pragma(pragma);
    const inMemory = this.db.memory;
    if (!inMemory && this.db.pragma('journal_mode', { simple: true }) !== 'wal') {
      this.logger.warn({ path: options.path }, 'sqlite store: WAL mode unavailable');
    }
    this.capabilities = { durableCommits: !inMemory, sharedByInstances: false, skipLocked: false };
    this.kv = new SqliteKeyValues((sql) => this.stmt(sql));
    this.locks = new SqliteRowLocks(this.db, (sql) => this.stmt(sql));
  }

  /** Holds `<path>-lock` (see sqlite-lock.ts); an in-memory database has nothing to share. */
  lockExclusive(): Promise<void> {
    return settle(() => {
      if (!this.db.open) throw new Error('sqlite store: closed');
      if (this.lock || this.db.memory) return;
      this.lock = holdExclusiveLock(this.path);
    });
  }

  migrate(): Promise<void> {
    return settle(() => {
      const applied = this.db
        .transaction(() => {
          this.db.exec(SQLITE_MIGRATIONS_TABLE_SQL);
          const done = new Set(this.stmt(SQL.appliedMigrations).pluck().all() as number[]);
          const pending = pendingMigrations(SQLITE_MIGRATIONS, done);
          for (const m of pending) {
            this.db.exec(m.sql);
            this.stmt(SQL.recordMigration).run({
              version: m.version,
              name: m.name,
              applied_at: Date.now(),
            });
          }
          return pending;
        })
        .immediate();
      for (const m of applied) {
        this.logger.info({ version: m.version, name: m.name }, 'sqlite store: migration applied');
      }
    });
  }

  commit(batch: StoreBatch): Promise<BatchResult> {
    if (batch.inserts.length === 0 && batch.writes.length === 0) {
      return Promise.resolve({ inserted: [], written: [] });
    }
    return settle(() =>
      this.db
        .transaction((): BatchResult => ({
          inserted: batch.inserts.map((i) => this.applyInsert(i)),
          written: batch.writes.map((w) => {
            const applied = this.applyWrite(w);
            if (applied && w.releaseLocks) this.locks.releaseWithin(w.gid);
            return applied;
          }),
        }))
        .immediate(),
    );
  }

  private applyInsert({ tx, ops }: TransactionInsert): InsertResult {
    if (this.stmt(SQL.insertTransaction).run(txParams(tx)).changes === 0) {
      const existing = this.snapshot(tx.gid);
      if (existing) return { inserted: false, existing };
      throw new Error(`sqlite store: insert of ${tx.gid} conflicted but no row exists`);
    }
    for (const op of lastPerKey(ops)) this.stmt(SQL.upsertOp).run(opParams(tx.gid, op));
    return { inserted: true };
  }

  get(gid: string): Promise<TransactionSnapshot | undefined> {
    return settle(() => this.db.transaction(() => this.snapshot(gid)).deferred());
  }

  history(gid: string): Promise<AttemptRecord[]> {
    return settle(() => (this.stmt(SQL.selectHistory).all({ gid }) as Row[]).map(toAttempt));
  }

  claim(
    gid: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<TransactionSnapshot | undefined> {
    return settle(() =>
      this.db
        .transaction(() => {
          const params = { gid, owner, now, until: now + leaseMs };
          const row = this.stmt(SQL.claim).get(params) as Row | undefined;
          if (!row) return undefined;
          const ops = (this.stmt(SQL.selectOps).all({ gid }) as Row[]).map(toBranchOp);
          return { tx: toTransaction(row), ops };
        })
        .immediate(),
    );
  }

  claimDue(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<TransactionSnapshot[]> {
    if (!(limit >= 1)) return Promise.resolve([]);
    return settle(() =>
      this.db
        .transaction(() => {
          const params = { owner, now, until: now + leaseMs, limit: Math.trunc(limit) };
          const claimed = (this.stmt(SQL.claimDue).all(params) as Row[]).map(toTransaction);
          claimed.sort(byDueOrder);
          const gids = JSON.stringify(claimed.map((tx) => tx.gid));
          const ops = groupOps(this.stmt(SQL.selectOpsOfMany).all({ gids }) as Row[]);
          return claimed.map((tx) => ({ tx, ops: ops.get(tx.gid) ?? [] }));
        })
        .immediate(),
    );
  }

  renew(leases: readonly LeaseRef[], owner: string, until: number): Promise<boolean[]> {
    if (leases.length === 0) return Promise.resolve([]);
    return settle(() =>
      this.db
        .transaction(() =>
          leases.map(
            (l) =>
              this.stmt(SQL.renew).run({ gid: l.gid, fence: l.fence, owner, until }).changes === 1,
          ),
        )
        .immediate(),
    );
  }

  list(query: ListQuery): Promise<ListPage> {
    return settle(() => {
      const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const limit = pageSize(query.limit);
      const { sql, params } = listSql(query, cursor, limit, SQLITE_LIST_DIALECT);
      const rows = this.stmt(sql).all(...params) as Row[];
      const items = rows.slice(0, limit).map(toTransaction);
      const last = items[items.length - 1];
      const more = rows.length > limit && last !== undefined;
      return { items, nextCursor: more ? encodeCursor(last) : null };
    });
  }

  countParked(): Promise<number> {
    return settle(() => Number(this.stmt(SQL.countParked).pluck().get()));
  }

  summarize(now: number): Promise<StoreSummary> {
    return settle(() =>
      toStoreSummary(
        this.stmt(SQL.countLive).all() as Row[],
        this.stmt(SQL.oldestDue).pluck().get({ now }),
      ),
    );
  }

  hasten(query: HastenQuery): Promise<number> {
    if (!(query.limit >= 1)) return Promise.resolve(0);
    return settle(() =>
      this.db
        .transaction(() => {
          const { now } = query;
          const params = {
            now,
            later: query.laterThan,
            limit: Math.trunc(query.limit),
            gid: query.gid ?? null,
          };
          const gids = this.stmt(SQL.hasten).pluck().all(params) as string[];
          if (gids.length > 0) this.stmt(SQL.hastenOps).run({ now, gids: JSON.stringify(gids) });
          return gids.length;
        })
        .immediate(),
    );
  }

  purgeTerminal(finishedBefore: number, limit: number): Promise<number> {
    return settle(() =>
      this.db
        .transaction(
          () => this.stmt(SQL.purgeTerminal).run({ before: finishedBefore, limit }).changes,
        )
        .immediate(),
    );
  }

  ping(): Promise<void> {
    return settle(() => {
      this.stmt(SQL.ping).get();
    });
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.db.open) this.db.close();
      this.statements.clear();
      this.lock?.close();
      this.lock = undefined;
    });
  }

  /** One fenced write, inside the caller's SQLite transaction. */
  private applyWrite(w: TransactionWrite): boolean {
    const updated = this.stmt(SQL.updateTransaction).run({
      gid: w.gid,
      fence: w.fence,
      status: w.tx.status,
      reason: w.tx.reason,
      updated_at: w.tx.updatedAt,
      finished_at: w.tx.finishedAt,
      deadline_at: w.tx.deadlineAt,
      next_attempt_at: w.tx.nextAttemptAt,
      parked: w.tx.parked ? 1 : 0,
      paused: w.tx.paused ? 1 : 0,
      release: w.release ? 1 : 0,
    });
    if (updated.changes !== 1) return false;
    for (const op of lastPerKey(w.ops)) this.stmt(SQL.upsertOp).run(opParams(w.gid, op));
    for (const a of w.attempts) this.stmt(SQL.insertAttempt).run(attemptParams(w.gid, a));
    return true;
  }

  private snapshot(gid: string): TransactionSnapshot | undefined {
    const row = this.stmt(SQL.selectTransaction).get({ gid }) as Row | undefined;
    if (!row) return undefined;
    const ops = (this.stmt(SQL.selectOps).all({ gid }) as Row[]).map(toBranchOp);
    return { tx: toTransaction(row), ops };
  }

  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
