/**
 * Key-value entries of the SQLite store (table `accord_kv`). Each write is one
 * statement whose WHERE clause (or primary key) carries the compare-and-set, so it is
 * atomic without an explicit transaction; better-sqlite3 runs it to completion before
 * any other JavaScript, and SQLite's locking covers other processes.
 */
import type Database from 'better-sqlite3';
import {
  checkKeyValue,
  type KeyValueEntry,
  type KeyValueListQuery,
  type KeyValuePage,
  type KeyValueStore,
} from '@accord/core';
import { kvFetchSize, toKvEntry, toKvPage } from '../common/kv-rows.js';
import type { Row } from '../common/rows.js';

/** The statements of the key-value entries. */
export const SQLITE_KV_SQL = {
  get: `SELECT entry_key, entry_value, version FROM accord_kv WHERE namespace = @ns AND entry_key = @key`,
  list: `
SELECT entry_key, entry_value, version FROM accord_kv
WHERE namespace = @ns AND entry_key > @after
ORDER BY entry_key LIMIT @limit`,
  create: `
INSERT INTO accord_kv (namespace, entry_key, entry_value, version) VALUES (@ns, @key, @value, 1)
ON CONFLICT (namespace, entry_key) DO NOTHING`,
  update: `
UPDATE accord_kv SET entry_value = @value, version = version + 1
WHERE namespace = @ns AND entry_key = @key AND version = @version`,
  delete: `DELETE FROM accord_kv WHERE namespace = @ns AND entry_key = @key AND version = @version`,
} as const;

/** {@link KeyValueStore} on the SQLite store's database. */
export class SqliteKeyValues implements KeyValueStore {
  constructor(private readonly stmt: (sql: string) => Database.Statement) {}

  async get(namespace: string, key: string): Promise<KeyValueEntry | undefined> {
    checkKeyValue(namespace, key);
    const row = this.stmt(SQLITE_KV_SQL.get).get({ ns: namespace, key }) as Row | undefined;
    return row && toKvEntry(namespace, row);
  }

  async list(namespace: string, query: KeyValueListQuery): Promise<KeyValuePage> {
    checkKeyValue(namespace, 'list');
    const rows = this.stmt(SQLITE_KV_SQL.list).all({
      ns: namespace,
      after: query.after ?? '',
      limit: kvFetchSize(query.limit),
    }) as Row[];
    return toKvPage(namespace, rows, query.limit);
  }

  async create(namespace: string, key: string, value: unknown): Promise<KeyValueEntry | undefined> {
    const text = checkKeyValue(namespace, key, value);
    const params = { ns: namespace, key, value: text };
    if (this.stmt(SQLITE_KV_SQL.create).run(params).changes !== 1) return undefined;
    return { namespace, key, value: JSON.parse(text) as unknown, version: 1 };
  }

  async update(
    namespace: string,
    key: string,
    value: unknown,
    version: number,
  ): Promise<KeyValueEntry | undefined> {
    const text = checkKeyValue(namespace, key, value);
    const params = { ns: namespace, key, value: text, version };
    if (this.stmt(SQLITE_KV_SQL.update).run(params).changes !== 1) return undefined;
    return { namespace, key, value: JSON.parse(text) as unknown, version: version + 1 };
  }

  async delete(namespace: string, key: string, version: number): Promise<boolean> {
    checkKeyValue(namespace, key);
    return this.stmt(SQLITE_KV_SQL.delete).run({ ns: namespace, key, version }).changes === 1;
  }
}
