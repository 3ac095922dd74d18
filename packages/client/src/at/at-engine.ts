/**
 * The at participant, database-neutral. Phase one runs the caller's statements in one
 * local transaction, imaging every row they change into the undo log, registers the
 * branch with its row locks and commits. Phase two forgets the images (commit) or puts
 * the before images back (rollback), refusing when a row changed since.
 */
import { AccordError, isAccordError } from '@accord/core';
import type { RegisterBranchRequest } from '@accord/core';
import { BusinessFailure } from '../participant/failures.js';
import { analyzeStatement, AtStatementRefused, type AtTableRef } from './analyze.js';
import { rowKey, sameImage, type AtDialect, type AtTableInfo, type RowImage } from './dialect.js';

/** Default name of the undo-log table. */
export const AT_UNDO_TABLE = 'accord_undo_log';

/** What an at participant needs of the coordinator: the branch registration. */
export interface AtRegistrar {
  registerBranch(gid: string, body: RegisterBranchRequest): Promise<void>;
}

/** Options shared by `pgAt` and `mysqlAt`. */
export interface AtOptions {
  /** Registers branches (an `AccordClient`). */
  readonly accord: AtRegistrar;
  /** The name of this database in lock keys (no `:`), the same for every service writing it. */
  readonly resource: string;
  /** The URL the coordinator calls for the branch's commit and rollback (`atPhaseTwoHandler`). */
  readonly phaseTwoUrl: string;
  /** Undo-log table (default `accord_undo_log`). */
  readonly table?: string;
  /** How long a branch waits for locks another transaction holds (default 10000 ms). */
  readonly lockWaitMs?: number;
  /** First pause between lock attempts (default 50 ms; doubles up to 1000 ms). */
  readonly lockRetryMs?: number;
}

/** Which branch a local transaction belongs to. */
export interface AtBranchKey {
  readonly gid: string;
  readonly branchId: string;
}

/** What phase two did. */
export type AtPhaseTwoOutcome = 'committed' | 'rolledback' | 'already-done' | 'empty';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function refFromLockName(name: string): AtTableRef {
  const dot = name.indexOf('.');
  return dot === -1
    ? { schema: undefined, name, alias: undefined }
    : { schema: name.slice(0, dot), name: name.slice(dot + 1), alias: undefined };
}

/** The engine behind `pgAt` and `mysqlAt`. */
export class AtEngine<C, R> {
  readonly #dialect: AtDialect<C, R>;
  readonly #options: AtOptions;
  readonly #tables = new Map<string, AtTableInfo>();
  readonly table: string;

  constructor(dialect: AtDialect<C, R>, options: AtOptions) {
    if (options.resource.includes(':') || options.resource === '') {
      throw new AccordError(
        'INVALID_REQUEST',
        `resource must be non-empty without ':' (got "${options.resource}")`,
      );
    }
    this.#dialect = dialect;
    this.#options = options;
    this.table = options.table ?? AT_UNDO_TABLE;
  }

  /** The undo log's `CREATE TABLE IF NOT EXISTS`. */
  get ddl(): string {
    return this.#dialect.undoDdl(this.table);
  }

  async #tableInfo(db: C, ref: AtTableRef, sql: string): Promise<AtTableInfo> {
    const cacheKey = `${ref.schema ?? ''}\u0000${ref.name}`;
    let info = this.#tables.get(cacheKey);
    if (info === undefined) {
      info = await this.#dialect.tableInfo(db, { ...ref, alias: undefined });
      this.#tables.set(cacheKey, info);
    }
    if (info.primaryKey.length === 0) {
      throw new AtStatementRefused(
        `table ${info.lockName} has no primary key to lock and image rows by`,
        sql,
      );
    }
    return { ...info, ref: { ...info.ref, alias: ref.alias } };
  }

  /**
   * Runs `work` as the branch's local transaction on connection `db` (not inside a
   * transaction: this opens and ends it). Every change `work` makes through the `tx` it
   * gets is imaged; the branch registers with its lock keys before the local commit.
   */
  async branch<T>(db: C, key: AtBranchKey, work: (tx: AtTransaction<R>) => Promise<T>): Promise<T> {
    const d = this.#dialect;
    await d.begin(db);
    try {
      try {
        await d.insertHeader(db, this.table, key.gid, key.branchId, 'branch', false);
      } catch (error) {
        if (!d.isDuplicate(error)) throw error;
        throw new BusinessFailure(
          `at branch ${key.gid}/${key.branchId} was already rolled back or already ran: its local work is refused`,
          { gid: key.gid, branchId: key.branchId },
        );
      }
      const locks = new Set<string>();
      let seq = 0;
      const record = async (
        info: AtTableInfo,
        before: RowImage | null,
        after: RowImage | null,
      ): Promise<void> => {
        const image = before ?? after;
        if (image === null) return;
        const rk = rowKey(info, image);
        seq += 1;
        await d.insertUndo(db, this.table, key.gid, key.branchId, {
          seq,
          table: info.lockName,
          key: rk,
          before,
          after,
        });
        locks.add(`${this.#options.resource}:${info.lockName}:${rk}`);
      };
      const tx: AtTransaction<R> = {
        query: async (sql, params = []) => {
          const statement = analyzeStatement(sql, d.name);
          if (statement.kind === 'read') return d.run(db, sql, params);
          const info = await this.#tableInfo(db, statement.table, sql);
          if (statement.kind === 'insert') {
            const ran = await d.runInsert(db, info, statement, sql, params);
            const afters =
              d.name === 'mysql'
                ? await d.imagesByKey(db, info, ran.inserted, false)
                : ran.inserted;
            for (const after of afters) await record(info, null, after);
            return ran.result;
          }
          const touchesKey = statement.setColumns.filter((c) => info.primaryKey.includes(c));
          if (touchesKey.length > 0) {
            throw new AtStatementRefused(
              `it changes primary key column ${touchesKey.join(', ')}`,
              sql,
            );
          }
          const befores = await d.selectForChange(
            db,
            info,
            statement.where,
            params,
            statement.whereParams,
          );
          const result = await d.run(db, sql, params);
          if (statement.kind === 'delete') {
            for (const before of befores) await record(info, before, null);
          } else {
            const afters = await d.imagesByKey(db, info, befores, false);
            const byKey = new Map(afters.map((a) => [rowKey(info, a), a]));
            for (const before of befores)
              await record(info, before, byKey.get(rowKey(info, before)) ?? null);
          }
          return result;
        },
      };
      const value = await work(tx);
      await this.#register(key, [...locks]);
      await d.commit(db);
      return value;
    } catch (error) {
      await d.rollback(db).catch(() => undefined);
      throw error;
    }
  }

  async #register(key: AtBranchKey, lockKeys: string[]): Promise<void> {
    const { accord, phaseTwoUrl } = this.#options;
    const budget = this.#options.lockWaitMs ?? 10_000;
    let pause = this.#options.lockRetryMs ?? 50;
    const started = Date.now();
    for (;;) {
      try {
        await accord.registerBranch(key.gid, {
          branchId: key.branchId,
          commit: phaseTwoUrl,
          rollback: phaseTwoUrl,
          lockKeys,
        });
        return;
      } catch (error) {
        if (!isAccordError(error) || error.code !== 'LOCK_CONFLICT') throw error;
        const waited = Date.now() - started;
        if (waited + pause > budget) {
          throw new AccordError(
            'LOCK_CONFLICT',
            `at branch ${key.gid}/${key.branchId} gave up after ${waited} ms waiting for global row locks held by another transaction; its local transaction was rolled back: ${error.message}`,
            error.details,
          );
        }
        await sleep(pause);
        pause = Math.min(pause * 2, 1000);
      }
    }
  }

  /**
   * Phase two of a branch, on connection `db` (outside any transaction): `commit` deletes
   * its undo rows; `rollback` restores the before images, or throws `BusinessFailure`
   * (a dirty write: the row changed since) naming the table, key, images and current row.
   * A rollback that finds no local work leaves a marker so that late work is refused.
   */
  async phaseTwo(db: C, key: AtBranchKey, op: 'commit' | 'rollback'): Promise<AtPhaseTwoOutcome> {
    const d = this.#dialect;
    if (op === 'commit') {
      await d.deleteUndo(db, this.table, key.gid, key.branchId, true);
      return 'committed';
    }
    await d.begin(db);
    try {
      const inserted = await d.insertHeader(
        db,
        this.table,
        key.gid,
        key.branchId,
        'rollback',
        true,
      );
      if (inserted) {
        await d.commit(db);
        return 'empty';
      }
      if ((await d.readHeader(db, this.table, key.gid, key.branchId)) === 'rollback') {
        await d.commit(db);
        return 'already-done';
      }
      for (const undo of await d.undoRows(db, this.table, key.gid, key.branchId)) {
        await this.#restore(db, undo.table, undo.before, undo.after, key);
      }
      await d.deleteUndo(db, this.table, key.gid, key.branchId, false);
      await d.setHeader(db, this.table, key.gid, key.branchId, 'rollback');
      await d.commit(db);
      return 'rolledback';
    } catch (error) {
      await d.rollback(db).catch(() => undefined);
      throw error;
    }
  }

  async #restore(
    db: C,
    table: string,
    before: RowImage | null,
    after: RowImage | null,
    key: AtBranchKey,
  ): Promise<void> {
    const d = this.#dialect;
    const info = await this.#tableInfo(db, refFromLockName(table), `rollback of ${table}`);
    const probe = (after ?? before) as RowImage;
    const [current = null] = await d.imagesByKey(db, info, [probe], true);
    if (sameImage(current, before)) return;
    if (!sameImage(current, after)) {
      const pk = rowKey(info, probe);
      throw new BusinessFailure(
        `at rollback of ${key.gid}/${key.branchId}: row ${table}:${pk} changed since the branch wrote it (dirty write); ` +
          `before=${JSON.stringify(before)} after=${JSON.stringify(after)} current=${JSON.stringify(current)}. ` +
          'Nothing was restored; the global locks stay until an operator resolves the transaction.',
        { table, key: pk, before, after, current },
      );
    }
    if (before === null) await d.deleteRow(db, info, probe);
    else if (after === null) await d.insertRow(db, info, before);
    else await d.updateRow(db, info, before);
  }
}

/** The transaction an at branch's work gets: `query` as its driver's, imaged. */
export interface AtTransaction<R> {
  /**
   * Runs one statement (reads as they are; INSERT, UPDATE and DELETE imaged). Throws
   * `AtStatementRefused`, before running anything, for what cannot be imaged.
   */
  query(sql: string, params?: unknown[]): Promise<R>;
}
