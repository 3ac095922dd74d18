/**
 * Key-value entries on a SQL server with a connection pool (PostgreSQL, MySQL): table
 * `accord_kv`, one statement per operation, the compare-and-set in its WHERE clause or
 * primary key. Under concurrent writers the row lock orders them and the loser's
 * statement finds the version moved (zero rows), so exactly one wins.
 */
import {
  checkKeyValue,
  type KeyValueEntry,
  type KeyValueListQuery,
  type KeyValuePage,
  type KeyValueStore,
} from '@accord/core';
import { kvFetchSize, toKvEntry, toKvPage } from './kv-rows.js';
import type { Row } from './rows.js';

/**
 * A backend's statements, with positional parameters in this order: get (namespace,
 * key), list (namespace, after, limit), create (namespace, key, value), update (value,
 * namespace, key, version), delete (namespace, key, version). Columns read: `entry_key`,
 * `entry_value`, `version`.
 */
export interface SqlKvStatements {
  readonly get: string;
  readonly list: string;
  readonly create: string;
  readonly update: string;
  readonly delete: string;
}

/** Runs one statement in autocommit: the rows it returned and how many it changed. */
export type SqlKvRunner = (
  sql: string,
  params: unknown[],
) => Promise<{ rows: Row[]; changed: number }>;

/** {@link KeyValueStore} over a statement runner. */
export class SqlKeyValues implements KeyValueStore {
  constructor(
    private readonly sql: SqlKvStatements,
    private readonly run: SqlKvRunner,
    /** A create that failed on an existing key (where the SQL cannot skip it quietly). */
    private readonly isDuplicate: (error: unknown) => boolean = () => false,
  ) {}

  async get(namespace: string, key: string): Promise<KeyValueEntry | undefined> {
    checkKeyValue(namespace, key);
    const { rows } = await this.run(this.sql.get, [namespace, key]);
    return rows[0] && toKvEntry(namespace, rows[0]);
  }

  async list(namespace: string, query: KeyValueListQuery): Promise<KeyValuePage> {
    checkKeyValue(namespace, 'list');
    const params = [namespace, query.after ?? '', kvFetchSize(query.limit)];
    const { rows } = await this.run(this.sql.list, params);
    return toKvPage(namespace, rows, query.limit);
  }

  async create(namespace: string, key: string, value: unknown): Promise<KeyValueEntry | undefined> {
    const text = checkKeyValue(namespace, key, value);
    try {
      const { changed } = await this.run(this.sql.create, [namespace, key, text]);
      if (changed !== 1) return undefined;
    } catch (error) {
      if (this.isDuplicate(error)) return undefined;
      throw error;
    }
    return { namespace, key, value: JSON.parse(text) as unknown, version: 1 };
  }

  async update(
    namespace: string,
    key: string,
    value: unknown,
    version: number,
  ): Promise<KeyValueEntry | undefined> {
    const text = checkKeyValue(namespace, key, value);
    const { changed } = await this.run(this.sql.update, [text, namespace, key, version]);
    if (changed !== 1) return undefined;
    return { namespace, key, value: JSON.parse(text) as unknown, version: version + 1 };
  }

  async delete(namespace: string, key: string, version: number): Promise<boolean> {
    checkKeyValue(namespace, key);
    const { changed } = await this.run(this.sql.delete, [namespace, key, version]);
    return changed === 1;
  }
}
