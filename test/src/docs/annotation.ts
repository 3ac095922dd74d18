/**
 * The `<!-- run: … -->` annotation a Markdown code block carries right before its fence:
 *
 * - `ts [prelude=NAME] [needs=xa-postgres]`: compiled, then run against the live
 *   coordinator with the named prelude supplying the context the snippet assumes;
 * - `typecheck [prelude=NAME] (why it cannot run)`: compiled only;
 * - `sh [background] [parked=GID]`: run with bash against the live coordinator
 *   (`background`: left running until the next level-2 heading, like a service the next
 *   blocks call; `parked=GID`: the documented GID stands for a parked transaction);
 * - `json-request post=/v1/PATH`: posted to the live coordinator, must answer 2xx;
 * - `json-response`: must match the output of the block run just before it, where
 *   `"…"` keys stand for fields left out;
 * - `exempt (why)`: not run; the reason is required.
 */

/** How the docs test treats one block. */
export type AnnotationKind =
  'ts' | 'typecheck' | 'sh' | 'json-request' | 'json-response' | 'exempt';

/** A parsed annotation. */
export interface Annotation {
  readonly kind: AnnotationKind;
  /** `key=value` options, e.g. `prelude` or `post`. */
  readonly options: Readonly<Record<string, string>>;
  /** Bare words after the kind, e.g. `background`. */
  readonly flags: ReadonlySet<string>;
  /** The text in parentheses: why a block is not run, or a note. */
  readonly reason: string;
}

const KINDS: readonly AnnotationKind[] = [
  'ts',
  'typecheck',
  'sh',
  'json-request',
  'json-response',
  'exempt',
];

/** Kinds that must say why in parentheses. */
const NEED_REASON: ReadonlySet<AnnotationKind> = new Set(['typecheck', 'exempt']);

/**
 * Parses the text after `run:`; `where` (file:line) is named in errors.
 *
 * @example
 * parseAnnotation(' ts prelude=tour ', 'README.md:140').options.prelude; // 'tour'
 */
export function parseAnnotation(text: string, where: string): Annotation {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const reason = open >= 0 && close > open ? text.slice(open + 1, close).trim() : '';
  const words = (open >= 0 ? text.slice(0, open) : text).trim().split(/\s+/).filter(Boolean);
  const kind = words[0] as AnnotationKind | undefined;
  if (kind === undefined || !KINDS.includes(kind)) {
    throw new Error(
      `${where}: unknown run annotation "${text.trim()}"; use one of ${KINDS.join(', ')}`,
    );
  }
  if (NEED_REASON.has(kind) && reason === '') {
    throw new Error(`${where}: "run: ${kind}" must say why in parentheses`);
  }
  const options: Record<string, string> = {};
  const flags = new Set<string>();
  for (const word of words.slice(1)) {
    const eq = word.indexOf('=');
    if (eq > 0) options[word.slice(0, eq)] = word.slice(eq + 1);
    else flags.add(word);
  }
  return { kind, options, flags, reason };
}
