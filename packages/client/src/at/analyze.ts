/**
 * What an at branch needs to know of a statement before running it: which table it
 * changes, and the text and placeholders of its WHERE, so that the rows it touches can be
 * read before (and after) it runs. Statements whose rows cannot be imaged are refused here,
 * before anything runs, with the reason.
 */
import { createRequire } from 'node:module';
import type * as SqlParser from 'node-sql-parser';

const require = createRequire(import.meta.url);
// node-sql-parser ships CommonJS only; `require` keeps its types.
const { Parser } = require('node-sql-parser') as typeof SqlParser;

/** The SQL dialects an at branch speaks. */
export type AtDialectName = 'postgresql' | 'mysql';

/** A table as a statement names it. */
export interface AtTableRef {
  /** The schema (PostgreSQL) or database (MySQL) when the statement names one. */
  readonly schema: string | undefined;
  readonly name: string;
  /** The alias the statement gives it, which its WHERE may use. */
  readonly alias: string | undefined;
}

/** Where one inserted value comes from (MySQL inserts find their keys this way). */
export type AtInsertValue =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'expression' };

/** A statement an at branch can image. */
export type AtStatement =
  | { readonly kind: 'read' }
  | {
      readonly kind: 'update' | 'delete';
      readonly table: AtTableRef;
      /** The WHERE condition's text, as written; undefined when there is none. */
      readonly where: string | undefined;
      /**
       * The parameters the WHERE uses: 1-based `$n` numbers on PostgreSQL; on MySQL, the
       * 0-based indexes of its `?` among the statement's values.
       */
      readonly whereParams: readonly number[];
      /** Columns an UPDATE sets. */
      readonly setColumns: readonly string[];
    }
  | {
      readonly kind: 'insert';
      readonly table: AtTableRef;
      /** The column list; undefined when the statement gives none. */
      readonly columns: readonly string[] | undefined;
      readonly rows: readonly (readonly AtInsertValue[])[];
      readonly hasReturning: boolean;
    };

/** A statement an at branch will not run, and why. */
export class AtStatementRefused extends Error {
  override readonly name = 'AtStatementRefused';
  constructor(
    readonly reason: string,
    readonly sql: string,
  ) {
    super(`at branch refuses the statement: ${reason} (${sql.slice(0, 200)})`);
  }
}

type Node = Record<string, unknown>;

const parser = new Parser();

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null;
}

/** Every placeholder node under `node`, in document order. */
function placeholders(node: unknown, out: Node[] = []): Node[] {
  if (Array.isArray(node)) {
    for (const item of node) placeholders(item, out);
  } else if (isNode(node)) {
    if (node['type'] === 'var' && node['prefix'] === '$') out.push(node);
    else if (node['type'] === 'origin' && node['value'] === '?') out.push(node);
    else
      for (const [key, value] of Object.entries(node)) if (key !== 'loc') placeholders(value, out);
  }
  return out;
}

function columnName(column: unknown): string {
  if (typeof column === 'string') return column;
  if (isNode(column)) {
    if (typeof column['value'] === 'string') return column['value'];
    if ('column' in column) return columnName(column['column']);
    if ('expr' in column) return columnName(column['expr']);
  }
  throw new Error('unrecognised column');
}

function tableOf(ast: Node, sql: string): AtTableRef {
  const tables = ast['table'];
  if (!Array.isArray(tables) || tables.length !== 1) {
    throw new AtStatementRefused('it changes more than one table', sql);
  }
  const [table] = tables as Node[];
  if (table === undefined || typeof table['table'] !== 'string' || table['join'] != null) {
    throw new AtStatementRefused('it changes more than one table (a join)', sql);
  }
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : undefined;
  return { schema: str(table['db']), name: table['table'], alias: str(table['as']) };
}

function whereText(where: unknown, sql: string, dialect: AtDialectName): string | undefined {
  if (where == null) return undefined;
  const loc = isNode(where) && isNode(where['loc']) ? where['loc'] : undefined;
  const start = isNode(loc?.['start']) ? loc['start']['offset'] : undefined;
  const end = isNode(loc?.['end']) ? loc['end']['offset'] : undefined;
  if (typeof start === 'number' && typeof end === 'number') return sql.slice(start, end);
  return parser.exprToSQL(where, { database: dialect });
}

function refuseCommon(ast: Node, sql: string): void {
  if (ast['with'] != null) throw new AtStatementRefused('WITH clauses are not imaged', sql);
  const from = ast['from'];
  if (Array.isArray(from) && from.length > 0 && ast['type'] === 'update') {
    throw new AtStatementRefused('it changes more than one table (UPDATE … FROM)', sql);
  }
  if (ast['using'] != null) {
    throw new AtStatementRefused('it changes more than one table (DELETE … USING)', sql);
  }
  if (ast['orderby'] != null || ast['limit'] != null) {
    const limit = ast['limit'];
    const hasLimit = isNode(limit) && Array.isArray(limit['value']) && limit['value'].length > 0;
    if (ast['orderby'] != null || hasLimit) {
      throw new AtStatementRefused('ORDER BY/LIMIT make the changed rows unknowable', sql);
    }
  }
}

function analyzeChange(ast: Node, sql: string, dialect: AtDialectName): AtStatement {
  refuseCommon(ast, sql);
  const kind = ast['type'] as 'update' | 'delete';
  if (kind === 'delete') {
    const from = ast['from'];
    if (Array.isArray(from) && from.length > 1) {
      throw new AtStatementRefused('it changes more than one table', sql);
    }
    if (Array.isArray(from) && from.some((t) => isNode(t) && t['join'] != null)) {
      throw new AtStatementRefused('it changes more than one table (a join)', sql);
    }
  }
  const table = tableOf(kind === 'delete' ? { table: ast['from'] } : ast, sql);
  const where = ast['where'];
  const holes = placeholders(where);
  let whereParams: number[];
  if (dialect === 'postgresql') {
    whereParams = holes.map((h) => Number(h['name']));
  } else {
    // MySQL's `?` are positional: the WHERE's come after every other one (SET comes first,
    // ORDER BY and LIMIT are refused).
    const all = placeholders({ ...ast, loc: undefined }).length;
    whereParams = holes.map((_, i) => all - holes.length + i);
  }
  const setColumns =
    kind === 'update' && Array.isArray(ast['set'])
      ? (ast['set'] as Node[]).map((s) => columnName(s['column']))
      : [];
  return {
    kind,
    table,
    where: whereText(where, sql, dialect),
    whereParams,
    setColumns,
  };
}

function insertValue(node: unknown, counter: { next: number }): AtInsertValue {
  const holes = placeholders(node);
  if (isNode(node) && holes.length === 1 && holes[0] === node) {
    const index = node['type'] === 'var' ? Number(node['name']) - 1 : counter.next;
    counter.next += 1;
    return { kind: 'param', index };
  }
  counter.next += holes.length;
  if (isNode(node) && holes.length === 0 && 'value' in node && !isNode(node['value'])) {
    return node['type'] === 'null'
      ? { kind: 'literal', value: null }
      : { kind: 'literal', value: node['value'] };
  }
  return { kind: 'expression' };
}

function analyzeInsert(ast: Node, sql: string): AtStatement {
  refuseCommon(ast, sql);
  if (/^\s*insert\s+ignore\b/i.test(sql)) {
    throw new AtStatementRefused('INSERT IGNORE may skip rows it then cannot tell apart', sql);
  }
  if (ast['conflict'] != null || ast['on_duplicate_update'] != null) {
    throw new AtStatementRefused(
      'ON CONFLICT/ON DUPLICATE KEY may change an existing row without a before image',
      sql,
    );
  }
  const values = ast['values'];
  if (!isNode(values) || values['type'] !== 'values' || !Array.isArray(values['values'])) {
    throw new AtStatementRefused('INSERT … SELECT (or SET) cannot be imaged: use VALUES', sql);
  }
  const counter = { next: 0 };
  const rows = (values['values'] as Node[]).map((row) =>
    (row['value'] as unknown[]).map((v) => insertValue(v, counter)),
  );
  const columns = Array.isArray(ast['columns']) ? ast['columns'].map(columnName) : undefined;
  return {
    kind: 'insert',
    table: tableOf(ast, sql),
    columns,
    rows,
    hasReturning: ast['returning'] != null,
  };
}

const REASONS: Readonly<Record<string, string>> = {
  replace: 'REPLACE deletes and inserts rows it does not name',
  truncate: 'TRUNCATE removes every row without images',
  call: 'a procedure changes rows the branch cannot see',
};

/**
 * Analyses one statement of an at branch: a read (runs as is), or a change of one table
 * with what its images need. Throws {@link AtStatementRefused} for what cannot be imaged.
 *
 * @example
 * analyzeStatement('UPDATE stock SET qty = qty - $1 WHERE sku = $2', 'postgresql');
 * // { kind: 'update', table: { name: 'stock', … }, where: 'sku = $2', whereParams: [2], setColumns: ['qty'] }
 */
export function analyzeStatement(sql: string, dialect: AtDialectName): AtStatement {
  // Reads run as they are (and the parser does not know every locking clause).
  if (/^\s*(select|show)\b/i.test(sql)) return { kind: 'read' };
  let parsed: unknown;
  try {
    parsed = parser.astify(sql, { database: dialect, parseOptions: { includeLocations: true } });
  } catch (error) {
    const said = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new AtStatementRefused(`it cannot be parsed (${said})`, sql);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length !== 1) {
    throw new AtStatementRefused('send one statement at a time', sql);
  }
  const ast = list[0] as Node;
  const type = String(ast['type']).toLowerCase();
  if (type === 'select') return { kind: 'read' };
  if (type === 'update' || type === 'delete') return analyzeChange(ast, sql, dialect);
  if (type === 'insert') return analyzeInsert(ast, sql);
  throw new AtStatementRefused(REASONS[type] ?? `${type.toUpperCase()} cannot be imaged`, sql);
}
