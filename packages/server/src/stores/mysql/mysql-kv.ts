/** Key-value statements of the MySQL/MariaDB store (see common/sql-kv.ts). */
import type { SqlKvStatements } from '../common/sql-kv.js';

/**
 * The statements of the key-value entries. A create is a plain INSERT whose duplicate-key
 * error means "exists" (INSERT IGNORE would also turn other errors into warnings).
 */
export const MYSQL_KV_SQL: SqlKvStatements = {
  get: `SELECT entry_key, entry_value, version FROM accord_kv WHERE namespace = ? AND entry_key = ?`,
  list: `
SELECT entry_key, entry_value, version FROM accord_kv
WHERE namespace = ? AND entry_key > ?
ORDER BY entry_key LIMIT ?`,
  create: `INSERT INTO accord_kv (namespace, entry_key, entry_value, version) VALUES (?, ?, ?, 1)`,
  update: `
UPDATE accord_kv SET entry_value = ?, version = version + 1
WHERE namespace = ? AND entry_key = ? AND version = ?`,
  delete: `DELETE FROM accord_kv WHERE namespace = ? AND entry_key = ? AND version = ?`,
};
