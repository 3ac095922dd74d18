/**
 * Labels: short `key=value` tags a client puts on a transaction when creating it, so
 * people can find related transactions (`label=order=42`). Stored with the transaction
 * and never changed.
 */
import type { FieldIssue } from './errors.js';

/** At most this many labels on one transaction. */
export const MAX_LABELS = 16;
/** What a label key looks like: lower case, digits, `_`, `.`, `-`; 1–63 characters. */
export const LABEL_KEY_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,62}$';
/** Longest label value, in characters. */
export const MAX_LABEL_VALUE = 128;

const KEY = new RegExp(LABEL_KEY_PATTERN);
// Printable: no control characters (C0, DEL, C1).
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]/;

/** Issues of a label set, with paths under `path` (empty when it is valid). */
export function checkLabels(
  labels: Readonly<Record<string, string>>,
  path = '/labels',
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const keys = Object.keys(labels);
  if (keys.length > MAX_LABELS) {
    issues.push({ path, message: `has ${keys.length} labels; at most ${MAX_LABELS} are allowed` });
  }
  for (const key of keys) {
    const value = labels[key] ?? '';
    if (!KEY.test(key)) {
      issues.push({
        path: `${path}/${key}`,
        message: `key must match ${LABEL_KEY_PATTERN} (lower case, digits, _ . -; up to 63)`,
      });
    }
    if (value.length < 1 || value.length > MAX_LABEL_VALUE || UNPRINTABLE.test(value)) {
      issues.push({
        path: `${path}/${key}`,
        message: `value must be 1 to ${MAX_LABEL_VALUE} printable characters`,
      });
    }
  }
  return issues;
}

/**
 * Parses label filters written `key=value` (the value may contain `=`) into one set;
 * a key given twice must have one value. Issues name `path`.
 */
export function parseLabelFilters(
  filters: readonly string[],
  path: string,
): { labels: Record<string, string>; issues: FieldIssue[] } {
  const labels: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    const key = filter.slice(0, eq);
    const value = filter.slice(eq + 1);
    if (eq <= 0) {
      issues.push({ path, message: `"${filter.slice(0, 40)}" must be written key=value` });
    } else if (labels[key] !== undefined && labels[key] !== value) {
      issues.push({ path, message: `label "${key}" is given twice with different values` });
    } else {
      labels[key] = value;
    }
  }
  if (issues.length === 0) issues.push(...checkLabels(labels, path).map((i) => ({ ...i, path })));
  return { labels, issues };
}
