/**
 * The at engine's MySQL/MariaDB side: images are `JSON_OBJECT` of every column (from the
 * catalog), put back as plain values, which the server converts to the column types.
 */
import { AtStatementRefused, type AtTableRef } from './analyze.js';
import {
  parseImage,
  type AtDialect,
  type AtTableInfo,
  type RowImage,
  type UndoHeader,
} from './dialect.js';

/** What the MySQL at helper needs of a mysql2/promise connection: `query`. */
export interface MysqlAtConnectionLike {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
}

type Result = [unknown, unknown];

function quote(identifier: string): string {
  return `\`${identifier.replaceAll('`', '``')}\``;
}

function qualified(ref: AtTableRef): string {
  return ref.schema === undefined ? quote(ref.name) : `${quote(ref.schema)}.${quote(ref.name)}`;
}

function jsonObject(info: AtTableInfo, prefix: string): string {
  const pairs = info.columns.map((c) => `'${c.replaceAll("'", "''")}', ${prefix}.${quote(c)}`);
  return `JSON_OBJECT(${pairs.join(', ')})`;
}

function keyCondition(info: AtTableInfo, prefix: string): string {
  return info.primaryKey.map((c) => `${prefix}.${quote(c)} = ?`).join(' AND ');
}

/** A value from a JSON image, as a parameter. */
function asParam(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : value;
}

function keyParams(info: AtTableInfo, image: RowImage): unknown[] {
  return info.primaryKey.map((c) => asParam(image[c]));
}

async function rowsOf(
  db: MysqlAtConnectionLike,
  sql: string,
  params: unknown[],
): Promise<Record<string, unknown>[]> {
  const [rows] = await db.query(sql, params);
  return rows as Record<string, unknown>[];
}

function images(rows: Record<string, unknown>[]): RowImage[] {
  return rows.map((row) => parseImage(row['img']));
}

/** The MySQL/MariaDB dialect of the at engine. */
export const mysqlDialect: AtDialect<MysqlAtConnectionLike, Result> = {
  name: 'mysql',

  undoDdl: (table) => `CREATE TABLE IF NOT EXISTS ${quote(table)} (
  gid VARCHAR(128) NOT NULL,
  branch_id VARCHAR(64) NOT NULL,
  seq INT NOT NULL,
  kind VARCHAR(16) NOT NULL,
  table_name VARCHAR(256),
  row_key VARCHAR(512),
  before_image LONGTEXT,
  after_image LONGTEXT,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (gid, branch_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,

  async tableInfo(db, ref) {
    const columns = await rowsOf(
      db,
      `SELECT c.COLUMN_NAME AS name, c.EXTRA AS extra,
              (SELECT k.ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE k
                WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
                  AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY') AS pk
         FROM information_schema.COLUMNS c
        WHERE c.TABLE_SCHEMA = COALESCE(?, DATABASE()) AND c.TABLE_NAME = ?
        ORDER BY c.ORDINAL_POSITION`,
      [ref.schema ?? null, ref.name],
    );
    if (columns.length === 0) throw new Error(`at branch: table ${qualified(ref)} does not exist`);
    const primaryKey = columns
      .filter((c) => c['pk'] !== null)
      .sort((a, b) => Number(a['pk']) - Number(b['pk']))
      .map((c) => String(c['name']));
    const auto = columns.filter((c) => /auto_increment/i.test(String(c['extra'])));
    return {
      ref,
      lockName: ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`,
      primaryKey,
      columns: columns.map((c) => String(c['name'])),
      autoIncrement: auto.length === 1 ? String(auto[0]?.['name']) : undefined,
    };
  },

  async selectForChange(db, info, where, params, whereParams) {
    const alias = info.ref.alias === undefined ? qualified(info.ref) : quote(info.ref.alias);
    const as = info.ref.alias === undefined ? '' : ` AS ${alias}`;
    const rows = await rowsOf(
      db,
      `SELECT ${jsonObject(info, alias)} AS img FROM ${qualified(info.ref)}${as}${where === undefined ? '' : ` WHERE ${where}`} FOR UPDATE`,
      whereParams.map((i) => params[i]),
    );
    return images(rows);
  },

  async imagesByKey(db, info, keys, forUpdate) {
    if (keys.length === 0) return [];
    const condition = keys.map(() => `(${keyCondition(info, 't')})`).join(' OR ');
    const rows = await rowsOf(
      db,
      `SELECT ${jsonObject(info, 't')} AS img FROM ${qualified(info.ref)} AS t WHERE ${condition}${forUpdate ? ' FOR UPDATE' : ''}`,
      keys.flatMap((k) => keyParams(info, k)),
    );
    return images(rows);
  },

  run: (db, sql, params) => db.query(sql, params),

  async runInsert(db, info, statement, sql, params) {
    const positions = info.primaryKey.map((c) => statement.columns?.indexOf(c) ?? -1);
    const missing = info.primaryKey.filter((_, i) => positions[i] === -1);
    const byAutoIncrement = missing.length > 0;
    if (
      byAutoIncrement &&
      (missing.length > 1 || missing[0] !== info.autoIncrement || info.primaryKey.length > 1)
    ) {
      throw new AtStatementRefused(
        `INSERT must name the primary key columns (${info.primaryKey.join(', ')}) unless the key is one auto-increment column`,
        sql,
      );
    }
    const keyOf = (row: readonly { kind: string; value?: unknown; index?: number }[]): RowImage => {
      const image: RowImage = {};
      info.primaryKey.forEach((column, i) => {
        const source = row[positions[i] ?? -1];
        if (source?.kind === 'literal') image[column] = source.value;
        else if (source?.kind === 'param') image[column] = params[source.index ?? -1];
        else
          throw new AtStatementRefused(`the value of key column ${column} is an expression`, sql);
      });
      return image;
    };
    const keys = byAutoIncrement ? [] : statement.rows.map(keyOf);
    const result = await db.query(sql, params);
    if (byAutoIncrement) {
      const header = result[0] as { insertId?: number; affectedRows?: number };
      const first = Number(header.insertId ?? 0);
      for (let i = 0; i < Number(header.affectedRows ?? 0); i += 1) {
        keys.push({ [info.primaryKey[0] ?? '']: first + i });
      }
    }
    return { result, inserted: keys };
  },

  async deleteRow(db, info, image) {
    await db.query(
      `DELETE FROM ${qualified(info.ref)} WHERE ${keyCondition(info, qualified(info.ref))}`,
      keyParams(info, image),
    );
  },

  async insertRow(db, info, image) {
    const columns = Object.keys(image);
    await db.query(
      `INSERT INTO ${qualified(info.ref)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      columns.map((c) => asParam(image[c])),
    );
  },

  async updateRow(db, info, image) {
    const columns = Object.keys(image);
    await db.query(
      `UPDATE ${qualified(info.ref)} SET ${columns.map((c) => `${quote(c)} = ?`).join(', ')} WHERE ${keyCondition(info, qualified(info.ref))}`,
      [...columns.map((c) => asParam(image[c])), ...keyParams(info, image)],
    );
  },

  async insertHeader(db, table, gid, branchId, kind, ignore) {
    const [header] = await db.query(
      `INSERT${ignore ? ' IGNORE' : ''} INTO ${quote(table)} (gid, branch_id, seq, kind) VALUES (?, ?, 0, ?)`,
      [gid, branchId, kind],
    );
    return Number((header as { affectedRows?: number }).affectedRows ?? 0) > 0;
  },

  async readHeader(db, table, gid, branchId) {
    const rows = await rowsOf(
      db,
      `SELECT kind FROM ${quote(table)} WHERE gid = ? AND branch_id = ? AND seq = 0 FOR UPDATE`,
      [gid, branchId],
    );
    return rows[0]?.['kind'] as UndoHeader | undefined;
  },

  async setHeader(db, table, gid, branchId, kind) {
    await db.query(
      `UPDATE ${quote(table)} SET kind = ? WHERE gid = ? AND branch_id = ? AND seq = 0`,
      [kind, gid, branchId],
    );
  },

  async insertUndo(db, table, gid, branchId, row) {
    await db.query(
      `INSERT INTO ${quote(table)} (gid, branch_id, seq, kind, table_name, row_key, before_image, after_image) VALUES (?, ?, ?, 'row', ?, ?, ?, ?)`,
      [
        gid,
        branchId,
        row.seq,
        row.table,
        row.key,
        row.before === null ? null : JSON.stringify(row.before),
        row.after === null ? null : JSON.stringify(row.after),
      ],
    );
  },

  async undoRows(db, table, gid, branchId) {
    const rows = await rowsOf(
      db,
      `SELECT seq, table_name, before_image, after_image FROM ${quote(table)} WHERE gid = ? AND branch_id = ? AND seq > 0 ORDER BY seq DESC FOR UPDATE`,
      [gid, branchId],
    );
    return rows.map((r) => ({
      seq: Number(r['seq']),
      table: String(r['table_name']),
      before: r['before_image'] == null ? null : parseImage(r['before_image']),
      after: r['after_image'] == null ? null : parseImage(r['after_image']),
    }));
  },

  async deleteUndo(db, table, gid, branchId, withHeader) {
    await db.query(
      `DELETE FROM ${quote(table)} WHERE gid = ? AND branch_id = ?${withHeader ? '' : ' AND seq > 0'}`,
      [gid, branchId],
    );
  },

  begin: async (db) => void (await db.query('START TRANSACTION')),
  commit: async (db) => void (await db.query('COMMIT')),
  rollback: async (db) => void (await db.query('ROLLBACK')),
  isDuplicate: (error) => (error as { errno?: unknown } | null)?.errno === 1062,
};
