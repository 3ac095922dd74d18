/**
 * The streaming merge at the heart of reconciliation: both sources are read in key order,
 * one row ahead on each side, so memory stays constant however long the sources are.
 */
import {
  compareRowKeys,
  differingFields,
  rowKey,
  SourceOrderError,
  type ReconcileRules,
  type ReferenceSide,
  type RowKey,
  type SourceRow,
} from './rules.js';

/** The kinds of mismatch: a key only on the right, only on the left, or on both but different. */
export type MismatchKind = 'missing-left' | 'missing-right' | 'different';

/** One key's outcome. `same` steps carry no rows, to keep the stream light. */
export type MergeStep =
  | { readonly kind: 'same'; readonly key: RowKey }
  | {
      readonly kind: MismatchKind;
      readonly key: RowKey;
      /** The left row (absent when missing on the left). */
      readonly left?: SourceRow | undefined;
      /** The right row (absent when missing on the right). */
      readonly right?: SourceRow | undefined;
      /** For `different`: the compared fields that disagree. */
      readonly fields?: readonly string[] | undefined;
    };

/** A step that is a mismatch. */
export type Mismatch = Exclude<MergeStep, { kind: 'same' }>;

/** Where to start: only keys strictly above `after` are merged (a resumed run). */
export interface MergeOptions {
  readonly after?: RowKey | undefined;
}

interface Cursor {
  readonly side: ReferenceSide;
  readonly iterator: AsyncIterator<SourceRow>;
  row: SourceRow | undefined;
  key: RowKey | undefined;
}

/**
 * Merges two key-ordered sources into one step per distinct key, in key order. Throws
 * {@link SourceOrderError} when a side goes backwards or repeats a key, and
 * `RowShapeError` when a row lacks a key field. Closes both sources when the consumer
 * stops early or an error is thrown.
 */
export async function* mergeSources(
  rules: ReconcileRules,
  left: AsyncIterable<SourceRow>,
  right: AsyncIterable<SourceRow>,
  options: MergeOptions = {},
): AsyncGenerator<MergeStep, void, undefined> {
  const l = open('left', left);
  const r = open('right', right);
  try {
    await advance(rules, l, options.after);
    await advance(rules, r, options.after);
    while (l.key !== undefined || r.key !== undefined) {
      const order =
        l.key === undefined ? 1 : r.key === undefined ? -1 : compareRowKeys(l.key, r.key);
      if (order < 0) {
        yield { kind: 'missing-right', key: l.key!, left: l.row };
        await advance(rules, l);
      } else if (order > 0) {
        yield { kind: 'missing-left', key: r.key!, right: r.row };
        await advance(rules, r);
      } else {
        const fields = differingFields(rules, l.row!, r.row!);
        yield fields.length === 0
          ? { kind: 'same', key: l.key! }
          : { kind: 'different', key: l.key!, left: l.row, right: r.row, fields };
        await advance(rules, l);
        await advance(rules, r);
      }
    }
  } finally {
    await Promise.allSettled([l.iterator.return?.(), r.iterator.return?.()]);
  }
}

function open(side: ReferenceSide, source: AsyncIterable<SourceRow>): Cursor {
  return { side, iterator: source[Symbol.asyncIterator](), row: undefined, key: undefined };
}

/** Moves a cursor to its next row (above `after` when given), checking the order. */
async function advance(rules: ReconcileRules, cursor: Cursor, after?: RowKey): Promise<void> {
  let previous = cursor.key;
  for (;;) {
    const next = await cursor.iterator.next();
    if (next.done === true) {
      cursor.row = undefined;
      cursor.key = undefined;
      return;
    }
    const key = rowKey(rules, next.value, cursor.side);
    if (previous !== undefined && compareRowKeys(previous, key) >= 0) {
      throw new SourceOrderError(cursor.side, previous, key);
    }
    previous = key;
    if (after !== undefined && compareRowKeys(key, after) <= 0) continue;
    cursor.row = next.value;
    cursor.key = key;
    return;
  }
}
