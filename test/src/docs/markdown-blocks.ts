/**
 * Fenced code blocks of a Markdown file, each with the `<!-- run: … -->` annotation that
 * says how the docs test treats it.
 */
import { readFileSync } from 'node:fs';
import { parseAnnotation, type Annotation } from './annotation.js';

/** One fenced code block. */
export interface CodeBlock {
  /** Path relative to the repository root, e.g. `README.md`. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`ts`, `sh`, `json`, …), or '' for a bare fence. */
  readonly lang: string;
  /** The block's text, without the fences. */
  readonly code: string;
  /** The nearest level-2 heading above the block ('' before the first one). */
  readonly section: string;
  /** The annotation on the line right before the fence (blank lines between are allowed). */
  readonly annotation: Annotation | undefined;
}

/** Languages whose blocks must be run or carry an annotation saying why not. */
export const CODE_LANGS: ReadonlySet<string> = new Set([
  'ts',
  'typescript',
  'js',
  'javascript',
  'sh',
  'bash',
  'shell',
  'json',
]);

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const ANNOTATION = /^\s*<!--\s*run:(.*?)-->\s*$/;

/**
 * Reads every fenced block of `path` (shown as `file` in messages).
 *
 * @example
 * const blocks = readCodeBlocks('/repo/README.md', 'README.md');
 */
export function readCodeBlocks(path: string, file: string): CodeBlock[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (text.startsWith('## ')) section = text.slice(3).trim();
    const open = FENCE.exec(text);
    if (!open) continue;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const candidate = (lines[j] ?? '').trim();
      if (candidate.startsWith(fence) && candidate.slice(fence.length).trim() === '') break;
      body.push(lines[j] ?? '');
    }
    blocks.push({
      file,
      line: i + 1,
      lang: (open[3] ?? '').toLowerCase(),
      code: body.join('\n'),
      section,
      annotation: annotationBefore(lines, i, file),
    });
    i = j;
  }
  return blocks;
}

function annotationBefore(lines: readonly string[], fenceIndex: number, file: string) {
  for (let k = fenceIndex - 1; k >= 0; k--) {
    const text = lines[k] ?? '';
    if (text.trim() === '') continue;
    const match = ANNOTATION.exec(text);
    return match ? parseAnnotation(match[1] ?? '', `${file}:${k + 1}`) : undefined;
  }
  return undefined;
}
