/**
 * Rewrites the `:from` / `:to` placeholders of a user's query into a driver's positional
 * parameters. A `::` cast (PostgreSQL) and text inside quotes are left alone.
 */

/** How a driver numbers its parameters. */
export type ParameterStyle = 'dollar' | 'question';

/** The rewritten query and which window bound each parameter takes, in order. */
export interface BoundQuery {
  readonly text: string;
  readonly names: readonly ('from' | 'to')[];
}

const TOKENS = /('(?:[^']|'')*')|("(?:[^"]|"")*")|(::)|:(from|to)\b/g;

/** Replaces `:from` and `:to` with `$n` or `?`. */
export function bindWindow(query: string, style: ParameterStyle): BoundQuery {
  const names: ('from' | 'to')[] = [];
  const text = query.replace(
    TOKENS,
    (match, single?: string, double?: string, cast?: string, name?: 'from' | 'to') => {
      if (single !== undefined || double !== undefined || cast !== undefined || !name) {
        return match;
      }
      names.push(name);
      return style === 'dollar' ? `$${names.length}` : '?';
    },
  );
  return { text, names };
}
