/**
 * The at engine's PostgreSQL side: images are `to_jsonb` of the row and are put back with
 * `jsonb_populate_record`, so every type round-trips as PostgreSQL itself renders it.
 */
import type { AtTableRef } from './analyze.js';
import {
  parseImage,
  type AtDialect,
  type AtTableInfo,
  type RowImage,
  type UndoHeader,
} from './dialect.js';

/** What the PostgreSQL at helper needs of a client: pg's `query`. */
export interface PgAtClientLike {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null; rows: unknown[] }>;
}

type Result = Awaited<ReturnType<PgAtClientLike['query']>>;

const AFTER_COLUMN = '__accord_after';

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function qualified(ref: AtTableRef): string {
  return ref.schema === undefined ? quote(ref.name) : `${quote(ref.schema)}.${quote(ref.name)}`;
}

/** `(t."a", t."b") IN (SELECT "a", "b" FROM jsonb_populate_recordset(NULL::tbl, $n))`. */
function keyMatch(info: AtTableInfo, alias: string, param: string): string {
  const own = info.primaryKey.map((c) => `${alias}.${quote(c)}`).join(', ');
  const theirs = info.primaryKey.map(quote).join(', ');
  return `(${own}) IN (SELECT ${theirs} FROM jsonb_populate_recordset(NULL::${qualified(info.ref)}, ${param}::jsonb))`;
}

function images(rows: unknown[]): RowImage[] {
  return rows.map((row) => parseImage((row as { img: unknown }).img));
}

/** The PostgreSQL dialect of the at engine. */
export const pgDialect: AtDialect<PgAtClientLike, Result> = {
  name: 'postgresql',

  undoDdl: (table) => `CREATE TABLE IF NOT EXISTS ${quote(table)} (
  gid VARCHAR(128) NOT NULL,
  branch_id VARCHAR(64) NOT NULL,
  seq INTEGER NOT NULL,
  kind VARCHAR(16) NOT NULL,
  table_name VARCHAR(256),
  row_key VARCHAR(512),
  before_image TEXT,
  after_image TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, seq)
)`,

  async tableInfo(db, ref) {
    const name = qualified(ref);
    const { rows } = await db.query(
      `SELECT to_regclass($1)::text AS reg,
              (SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
                 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = to_regclass($1) AND i.indisprimary) AS pk`,
      [name],
    );
    const row = rows[0] as { reg: string | null; pk: string[] | null } | undefined;
    if (row?.reg == null) throw new Error(`at branch: table ${name} does not exist`);
    return {
      ref,
      lockName: ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`,
      primaryKey: row.pk ?? [],
      columns: [],
      autoIncrement: undefined,
    };
  },

  async selectForChange(db, info, where, params, whereParams) {
    const alias = info.ref.alias ?? info.ref.name;
    const conditions = [where === undefined ? 'TRUE' : `(${where})`];
    // Parameters the WHERE does not use still need a type, or PostgreSQL refuses them.
    for (let n = 1; n <= params.length; n += 1) {
      if (!whereParams.includes(n)) conditions.push(`($${n}::text IS NULL OR TRUE)`);
    }
    const { rows } = await db.query(
      `SELECT to_jsonb(${quote(alias)}.*) AS img FROM ${qualified(info.ref)} AS ${quote(alias)} WHERE ${conditions.join(' AND ')} FOR UPDATE`,
      params,
    );
    return images(rows);
  },

  async imagesByKey(db, info, keys, forUpdate) {
    if (keys.length === 0) return [];
    const { rows } = await db.query(
      `SELECT to_jsonb(t.*) AS img FROM ${qualified(info.ref)} AS t WHERE ${keyMatch(info, 't', '$1')}${forUpdate ? ' FOR UPDATE' : ''}`,
      [JSON.stringify(keys)],
    );
    return images(rows);
  },

  run: (db, sql, params) => db.query(sql, params),

  async runInsert(db, info, statement, sql, params) {
    const alias = info.ref.alias ?? info.ref.name;
    const text = `${sql.trim().replace(/;\s*$/, '')}${statement.hasReturning ? ',' : ' RETURNING'} to_jsonb(${quote(alias)}.*) AS ${AFTER_COLUMN}`;
    const result = await db.query(text, params);
    const rows = result.rows as Record<string, unknown>[];
    const inserted = rows.map((row) => parseImage(row[AFTER_COLUMN]));
    for (const row of rows) delete row[AFTER_COLUMN];
    if (!statement.hasReturning) result.rows = [];
    return { result, inserted };
  },

  async deleteRow(db, info, image) {
    await db.query(`DELETE FROM ${qualified(info.ref)} AS t WHERE ${keyMatch(info, 't', '$1')}`, [
      JSON.stringify([image]),
    ]);
  },

  async insertRow(db, info, image) {
    const columns = Object.keys(image).map(quote).join(', ');
    await db.query(
      `INSERT INTO ${qualified(info.ref)} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM jsonb_populate_record(NULL::${qualified(info.ref)}, $1::jsonb)`,
      [JSON.stringify(image)],
    );
  },

  async updateRow(db, info, image) {
    const columns = Object.keys(image).map(quote).join(', ');
    await db.query(
      `UPDATE ${qualified(info.ref)} AS t SET (${columns}) = (SELECT ${columns} FROM jsonb_populate_record(NULL::${qualified(info.ref)}, $1::jsonb)) WHERE ${keyMatch(info, 't', '$2')}`,
      [JSON.stringify(image), JSON.stringify([image])],
    );
  },

  async insertHeader(db, table, gid, branchId, kind, ignore) {
    const result = await db.query(
      `INSERT INTO ${quote(table)} (gid, branch_id, seq, kind) VALUES ($1, $2, 0, $3)${ignore ? ' ON CONFLICT DO NOTHING' : ''}`,
      [gid, branchId, kind],
    );
    return (result.rowCount ?? 0) > 0;
  },

  async readHeader(db, table, gid, branchId) {
    const { rows } = await db.query(
      `SELECT kind FROM ${quote(table)} WHERE gid = $1 AND branch_id = $2 AND seq = 0 FOR UPDATE`,
      [gid, branchId],
    );
    return (rows[0] as { kind: UndoHeader } | undefined)?.kind;
  },

  async setHeader(db, table, gid, branchId, kind) {
    await db.query(
      `UPDATE ${quote(table)} SET kind = $3 WHERE gid = $1 AND branch_id = $2 AND seq = 0`,
      [gid, branchId, kind],
    );
  },

  async insertUndo(db, table, gid, branchId, row) {
    await db.query(
      `INSERT INTO ${quote(table)} (gid, branch_id, seq, kind, table_name, row_key, before_image, after_image) VALUES ($1, $2, $3, 'row', $4, $5, $6, $7)`,
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
    const { rows } = await db.query(
      `SELECT seq, table_name, before_image, after_image FROM ${quote(table)} WHERE gid = $1 AND branch_id = $2 AND seq > 0 ORDER BY seq DESC FOR UPDATE`,
      [gid, branchId],
    );
    return (
      rows as {
        seq: number;
        table_name: string;
        before_image: string | null;
        after_image: string | null;
      }[]
    ).map((r) => ({
      seq: r.seq,
      table: r.table_name,
      before: r.before_image === null ? null : parseImage(r.before_image),
      after: r.after_image === null ? null : parseImage(r.after_image),
    }));
  },

  async deleteUndo(db, table, gid, branchId, withHeader) {
    await db.query(
      `DELETE FROM ${quote(table)} WHERE gid = $1 AND branch_id = $2${withHeader ? '' : ' AND seq > 0'}`,
      [gid, branchId],
    );
  },

  begin: async (db) => void (await db.query('BEGIN')),
  commit: async (db) => void (await db.query('COMMIT')),
  rollback: async (db) => void (await db.query('ROLLBACK')),
  isDuplicate: (error) => (error as { code?: unknown } | null)?.code === '23505',
};
