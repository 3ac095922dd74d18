/**
 * The rules of a reconciliation: which fields identify a record on both sides, which
 * fields must agree (numbers within a tolerance), and which side is the reference. Pure:
 * no I/O, so the merge and its tests run anywhere.
 */
import { compareKeys } from '@accord/core';

/** How a key field orders: numerically, or as text in UTF-8 byte order. */
export type KeyFieldType = 'number' | 'string';

/** One field of the key, read under the same name on both sides. */
export interface KeyField {
  readonly field: string;
  readonly type: KeyFieldType;
}

/** One field that must agree on both sides. */
export interface ComparedField {
  readonly field: string;
  /** `number` fields agree when they differ by at most `tolerance` (default 0). */
  readonly type: 'number' | 'string';
  readonly tolerance?: number | undefined;
}

/** Which side holds the truth; repairs bring the other side in line with it. */
export type ReferenceSide = 'left' | 'right';

/** The rules a merge applies. */
export interface ReconcileRules {
  readonly key: readonly KeyField[];
  readonly compare: readonly ComparedField[];
  readonly reference: ReferenceSide;
}

/** A record as a source yields it: field names to plain values. */
export type SourceRow = Readonly<Record<string, unknown>>;

/** A record's key, normalized: numbers for `number` fields, text for `string` fields. */
export type RowKey = readonly (number | string)[];

/** A row whose key or compared field cannot be read; names the field and why. */
export class RowShapeError extends Error {
  constructor(
    readonly side: ReferenceSide,
    readonly field: string,
    why: string,
  ) {
    super(`${side} row: field "${field}" ${why}`);
    this.name = 'RowShapeError';
  }
}

/** A source that yielded a key not above the previous one. */
export class SourceOrderError extends Error {
  constructor(
    readonly side: ReferenceSide,
    readonly previous: RowKey,
    readonly current: RowKey,
  ) {
    super(
      `${side} source is not sorted by key: ${encodeKey(current)} came after ` +
        `${encodeKey(previous)} (order the query by the key fields, byte order for text)`,
    );
    this.name = 'SourceOrderError';
  }
}

/** Reads and normalizes the key of a row. */
export function rowKey(rules: ReconcileRules, row: SourceRow, side: ReferenceSide): RowKey {
  return rules.key.map(({ field, type }) => {
    const value = row[field];
    if (value === undefined || value === null || value === '') {
      throw new RowShapeError(side, field, 'is missing (key fields are required)');
    }
    if (type === 'string') return toText(value);
    const number = toNumber(value);
    if (number === undefined || !Number.isSafeInteger(number)) {
      throw new RowShapeError(side, field, `is not an integer (got ${JSON.stringify(value)})`);
    }
    return number;
  });
}

/** Orders two keys of the same rules: negative, zero or positive. */
export function compareRowKeys(a: RowKey, b: RowKey): number {
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i]!;
    const y = b[i]!;
    const order =
      typeof x === 'number' && typeof y === 'number' ? x - y : compareKeys(String(x), String(y));
    if (order !== 0) return order;
  }
  return 0;
}

/** A key as stable text (for checkpoints, stored mismatches and repair ids). */
export function encodeKey(key: RowKey): string {
  return JSON.stringify(key);
}

/** The key read back from {@link encodeKey}. */
export function decodeKey(text: string): RowKey {
  const value: unknown = JSON.parse(text);
  if (
    !Array.isArray(value) ||
    !value.every((v) => typeof v === 'number' || typeof v === 'string')
  ) {
    throw new Error(`not an encoded key: ${text}`);
  }
  return value;
}

/** The compared fields on which two rows with the same key disagree (empty: they agree). */
export function differingFields(
  rules: ReconcileRules,
  left: SourceRow,
  right: SourceRow,
): string[] {
  const fields: string[] = [];
  for (const rule of rules.compare) {
    if (!fieldAgrees(rule, left[rule.field], right[rule.field])) fields.push(rule.field);
  }
  return fields;
}

function fieldAgrees(rule: ComparedField, a: unknown, b: unknown): boolean {
  const aEmpty = a === null || a === undefined;
  const bEmpty = b === null || b === undefined;
  if (aEmpty || bEmpty) return aEmpty && bEmpty;
  if (rule.type === 'string') return toText(a) === toText(b);
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === undefined || y === undefined) return false;
  // A small epsilon so that 0.1 + 0.2 against 0.3 with tolerance 0 still agrees.
  return Math.abs(x - y) <= (rule.tolerance ?? 0) + 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
}

/** A value as text: dates in ISO form, objects as JSON. */
function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return value.toString();
  }
  return JSON.stringify(value) ?? '';
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/**
 * Checks rules given by a user; returns a list of problems, each naming the field (empty
 * when the rules are sound).
 */
export function ruleProblems(rules: ReconcileRules): string[] {
  const problems: string[] = [];
  if (rules.key.length === 0) problems.push('key: at least one key field is required');
  const seen = new Set<string>();
  for (const [i, { field }] of rules.key.entries()) {
    if (seen.has(field)) problems.push(`key/${i}: field "${field}" appears twice`);
    seen.add(field);
  }
  for (const [i, rule] of rules.compare.entries()) {
    if (seen.has(rule.field))
      problems.push(`compare/${i}: "${rule.field}" is already a key field or compared`);
    seen.add(rule.field);
    if (rule.tolerance !== undefined && rule.type !== 'number') {
      problems.push(`compare/${i}: tolerance applies only to number fields`);
    }
  }
  return problems;
}
