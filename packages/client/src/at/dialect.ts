/**
 * What the at engine needs of a database, implemented for PostgreSQL and MySQL/MariaDB:
 * the catalog (primary keys), row images as JSON made by the database itself (so that
 * they compare and restore exactly), and the undo log's statements.
 */
import type { AtDialectName, AtStatement, AtTableRef } from './analyze.js';

/** One row as JSON, column name to value, as the database renders it. */
export type RowImage = Record<string, unknown>;

/** A changed table, as the catalog describes it. */
export interface AtTableInfo {
  readonly ref: AtTableRef;
  /** The name used in lock keys and the undo log: `schema.table` or `table`. */
  readonly lockName: string;
  readonly primaryKey: readonly string[];
  /** Every column, in order (MySQL builds its images from them). */
  readonly columns: readonly string[];
  /** The single auto-increment column, if any (MySQL inserts without a key use it). */
  readonly autoIncrement: string | undefined;
}

/** The outcome of running a change: the driver's own result and the rows' after images. */
export interface RanChange<R> {
  readonly result: R;
  /** INSERT: the inserted rows' images, or their keys to read them by. */
  readonly inserted: readonly RowImage[];
}

/** One undo-log row as stored. */
export interface UndoRow {
  readonly seq: number;
  readonly table: string;
  readonly before: RowImage | null;
  readonly after: RowImage | null;
}

/** The header row of a branch in the undo log: `branch` (ran locally) or `rollback`. */
export type UndoHeader = 'branch' | 'rollback';

/** A database as the at engine uses it; `C` is the driver's connection, `R` its result. */
export interface AtDialect<C, R> {
  readonly name: AtDialectName;
  /** `CREATE TABLE IF NOT EXISTS` of the undo log. */
  undoDdl(table: string): string;
  tableInfo(db: C, ref: AtTableRef): Promise<AtTableInfo>;
  /** Reads (and locks) the rows a statement's WHERE matches. */
  selectForChange(
    db: C,
    info: AtTableInfo,
    where: string | undefined,
    params: unknown[],
    whereParams: readonly number[],
  ): Promise<RowImage[]>;
  /** Reads the rows with these keys (taken from images), locking them when asked. */
  imagesByKey(
    db: C,
    info: AtTableInfo,
    keys: readonly RowImage[],
    forUpdate: boolean,
  ): Promise<RowImage[]>;
  /** Runs the caller's statement as it is. */
  run(db: C, sql: string, params: unknown[]): Promise<R>;
  /**
   * Runs an INSERT and returns its rows' images or key images; throws
   * `AtStatementRefused` (before running) when it cannot tell which rows it inserts.
   */
  runInsert(
    db: C,
    info: AtTableInfo,
    statement: Extract<AtStatement, { kind: 'insert' }>,
    sql: string,
    params: unknown[],
  ): Promise<RanChange<R>>;
  deleteRow(db: C, info: AtTableInfo, image: RowImage): Promise<void>;
  insertRow(db: C, info: AtTableInfo, image: RowImage): Promise<void>;
  updateRow(db: C, info: AtTableInfo, image: RowImage): Promise<void>;
  /** Undo log: inserts the header; false when a header was there already (on `ignore`). */
  insertHeader(
    db: C,
    table: string,
    gid: string,
    branchId: string,
    kind: UndoHeader,
    ignore: boolean,
  ): Promise<boolean>;
  readHeader(db: C, table: string, gid: string, branchId: string): Promise<UndoHeader | undefined>;
  setHeader(db: C, table: string, gid: string, branchId: string, kind: UndoHeader): Promise<void>;
  insertUndo(
    db: C,
    table: string,
    gid: string,
    branchId: string,
    row: UndoRow & { key: string },
  ): Promise<void>;
  /** The image rows of a branch, last first, locked. */
  undoRows(db: C, table: string, gid: string, branchId: string): Promise<UndoRow[]>;
  /** Deletes a branch's image rows (`withHeader`: its header too). */
  deleteUndo(
    db: C,
    table: string,
    gid: string,
    branchId: string,
    withHeader: boolean,
  ): Promise<void>;
  begin(db: C): Promise<void>;
  commit(db: C): Promise<void>;
  rollback(db: C): Promise<void>;
  /** True for a duplicate-key error. */
  isDuplicate(error: unknown): boolean;
}

/** Parses an image a driver returned as JSON text or as an object. */
export function parseImage(value: unknown): RowImage {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`row image is not a JSON object: ${String(value).slice(0, 100)}`);
  }
  return parsed as RowImage;
}

/** The key part of a lock key: the value of a single-column key, else the JSON array of them. */
export function rowKey(info: AtTableInfo, image: RowImage): string {
  const values = info.primaryKey.map((column) => image[column]);
  if (values.length === 1) {
    const [only] = values;
    return typeof only === 'string' ? only : JSON.stringify(only);
  }
  return JSON.stringify(values);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** Whether two images (or two absences) are the same row, key order aside. */
export function sameImage(a: RowImage | null | undefined, b: RowImage | null | undefined): boolean {
  if (a == null || b == null) return a == null && b == null;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
