/** Reading key-value rows of the SQL stores (columns `entry_key`, `entry_value`, `version`). */
import { kvPageSize, type KeyValueEntry, type KeyValuePage } from '@accord/core';
import type { Row } from './rows.js';

/** An entry from its row (the value column holds JSON text; BIGINT may come as text). */
export function toKvEntry(namespace: string, row: Row): KeyValueEntry {
  const version = Number(row['version']);
  if (!Number.isSafeInteger(version)) throw new Error(`key-value: bad version in ${namespace}`);
  return {
    namespace,
    key: String(row['entry_key']),
    value: JSON.parse(String(row['entry_value'])) as unknown,
    version,
  };
}

/**
 * A page from rows fetched with `limit + 1` (see {@link kvFetchSize}): the extra row only
 * says that more follow.
 */
export function toKvPage(namespace: string, rows: readonly Row[], limit: number): KeyValuePage {
  const size = kvPageSize(limit);
  const items = rows.slice(0, size).map((r) => toKvEntry(namespace, r));
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > size && last ? last.key : null };
}

/** Rows to fetch for a page of `limit`: one more, to tell whether another page follows. */
export function kvFetchSize(limit: number): number {
  return kvPageSize(limit) + 1;
}
