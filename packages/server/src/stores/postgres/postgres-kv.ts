/** Key-value statements of the PostgreSQL store (see common/sql-kv.ts). */
import type { SqlKvStatements } from '../common/sql-kv.js';

/** The statements of the key-value entries. */
export const POSTGRES_KV_SQL: SqlKvStatements = {
  get: `SELECT entry_key, entry_value, version FROM accord_kv WHERE namespace = $1 AND entry_key = $2`,
  list: `
SELECT entry_key, entry_value, version FROM accord_kv
WHERE namespace = $1 AND entry_key > $2
ORDER BY entry_key LIMIT $3`,
  create: `
INSERT INTO accord_kv (namespace, entry_key, entry_value, version) VALUES ($1, $2, $3, 1)
ON CONFLICT (namespace, entry_key) DO NOTHING`,
  update: `
UPDATE accord_kv SET entry_value = $1, version = version + 1
WHERE namespace = $2 AND entry_key = $3 AND version = $4`,
  delete: `DELETE FROM accord_kv WHERE namespace = $1 AND entry_key = $2 AND version = $3`,
};
