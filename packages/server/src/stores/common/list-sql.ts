/**
 * The listing query of the SQL stores, built from the filters a listing uses: one
 * condition per filter given, so each backend's planner sees plain predicates. The
 * backends differ only in placeholders, booleans and a few functions, given as a
 * {@link ListDialect}.
 */
import type { ListQuery } from '@accord/core';
import { MODES } from '@accord/core';
import type { CursorPosition } from './cursor.js';

/** Adds a parameter and answers its placeholder. */
export type Param = (value: unknown) => string;

/** How one SQL backend writes the parts of a listing that differ. */
export interface ListDialect {
  /** The placeholder of the `n`-th parameter (1-based): `?` or `$n`. */
  placeholder(n: number): string;
  /** A boolean as bound (1/0 or true/false). */
  bool(value: boolean): unknown;
  /** Condition: `t.gid` starts with `prefix`, compared as bytes. */
  gidStartsWith(p: Param, prefix: string): string;
  /** Condition: the row's labels (`t.labels`) hold `key` with `value`. */
  hasLabel(p: Param, key: string, value: string): string;
  /** Condition: `(t.created_at, t.gid)` comes before the cursor. */
  before(p: Param, cursor: CursorPosition): string;
  /** A bigint cast of a placeholder where the backend needs one (`$1::bigint`). */
  int(placeholder: string): string;
}

const NOT_TERMINAL = `t.status NOT IN ('succeeded', 'failed')`;

/** The SELECT of one listing page (`limit + 1` rows, to know whether more follow). */
export function listSql(
  query: ListQuery,
  cursor: CursorPosition | undefined,
  limit: number,
  d: ListDialect,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const p: Param = (value) => {
    params.push(value);
    return d.placeholder(params.length);
  };
  const where: string[] = [];
  if (query.status !== undefined) where.push(`t.status = ${p(query.status)}`);
  if (query.mode !== undefined) where.push(`t.mode = ${p(query.mode)}`);
  if (query.parked !== undefined) where.push(`t.parked = ${p(d.bool(query.parked))}`);
  if (query.paused !== undefined) where.push(`t.paused = ${p(d.bool(query.paused))}`);
  if (query.gidPrefix !== undefined) {
    where.push(d.gidStartsWith(p, query.gidPrefix));
  }
  for (const [key, value] of Object.entries(query.labels ?? {})) {
    where.push(d.hasLabel(p, key, value));
  }
  if (query.stuck !== undefined) {
    const cases = MODES.map(
      (mode) => `WHEN ${p(mode)} THEN ${d.int(p(query.stuck?.createdBefore[mode] ?? 0))}`,
    ).join(' ');
    const stuck = `(${NOT_TERMINAL} AND t.created_at < CASE t.mode ${cases} END)`;
    where.push(query.stuck.is ? stuck : `NOT ${stuck}`);
  }
  if (query.since !== undefined) where.push(`t.created_at >= ${d.int(p(query.since))}`);
  if (query.until !== undefined) where.push(`t.created_at <= ${d.int(p(query.until))}`);
  if (cursor !== undefined) where.push(d.before(p, cursor));
  const sql = `SELECT t.* FROM accord_transactions t${
    where.length > 0 ? `\nWHERE ${where.join('\n  AND ')}` : ''
  }\nORDER BY t.created_at DESC, t.gid DESC\nLIMIT ${p(limit + 1)}`;
  return { sql, params };
}
