/**
 * Compares a JSON answer with the abridged one the docs show: every field the docs give
 * must be there with that value; a `"…"` key stands for fields left out; arrays match
 * element by element and must have the same length.
 */

/** The key the docs use for "more fields here". */
export const ELLIPSIS = '…';

/**
 * Where `actual` differs from the documented `expected` (empty: it matches).
 *
 * @example
 * abridgedMismatches({ a: 1, '…': '…' }, { a: 1, b: 2 }); // []
 */
export function abridgedMismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual))
      return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (expected.length !== actual.length) {
      return [`${path}: expected ${expected.length} elements, got ${actual.length}`];
    }
    return expected.flatMap((e, i) => abridgedMismatches(e, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    }
    const record = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([key, value]) => {
      if (key === ELLIPSIS) return [];
      if (!(key in record)) return [`${path}.${key}: missing`];
      return abridgedMismatches(value, record[key], `${path}.${key}`);
    });
  }
  return Object.is(expected, actual)
    ? []
    : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
