/**
 * Keeps docs/errors.md in step with the code: every code of ERROR_CODES is documented
 * exactly once, with the HTTP status of HTTP_STATUS and the retry meaning of ERROR_CODES.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '@accord/core';
import { ERROR_CODES } from '@accord/core';
import { HTTP_STATUS } from './error-mapping.js';

/** One documented code: a table row whose first cell is `` `CODE` ``. */
interface DocumentedCode {
  readonly code: string;
  readonly status: string;
  readonly retryable: string;
  readonly line: number;
}

/** The repository root: the nearest ancestor of this file holding docs/errors.md. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'docs', 'errors.md'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('docs/errors.md not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Rows of every Markdown table in `text` whose first cell is a back-quoted code. */
function documentedCodes(text: string): DocumentedCode[] {
  const rows: DocumentedCode[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line.startsWith('|')) return;
    const cells = line
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((cell) => cell.trim());
    const match = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[0] ?? '');
    if (!match) return;
    rows.push({
      code: match[1]!,
      status: cells[1] ?? '',
      retryable: (cells[2] ?? '').toLowerCase(),
      line: index + 1,
    });
  });
  return rows;
}

const codes = Object.keys(ERROR_CODES) as ErrorCode[];
const rows = documentedCodes(readFileSync(join(repoRoot(), 'docs', 'errors.md'), 'utf8'));

void describe('docs/errors.md', () => {
  void it('documents every error code once and nothing else', () => {
    const documented = rows.map((r) => r.code);
    const duplicates = documented.filter((code, i) => documented.indexOf(code) !== i);
    assert.deepEqual(duplicates, [], 'codes documented more than once');
    assert.deepEqual([...documented].sort(), [...codes].sort());
  });

  void it('gives each code the HTTP status the server maps it to', () => {
    for (const row of rows) {
      const expected = HTTP_STATUS[row.code as ErrorCode];
      assert.equal(
        row.status,
        String(expected),
        `errors.md line ${row.line}: status of ${row.code}`,
      );
    }
  });

  void it('gives each code the retry meaning of ERROR_CODES', () => {
    for (const row of rows) {
      const expected = ERROR_CODES[row.code as ErrorCode].retryable ? 'yes' : 'no';
      assert.equal(row.retryable, expected, `errors.md line ${row.line}: retryable of ${row.code}`);
    }
  });
});
