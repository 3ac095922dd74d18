/**
 * The docs test's own parts, without services: reading blocks and annotations, and
 * matching an answer against an abridged one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { abridgedMismatches } from './abridged-json.js';
import { rewriteAddresses } from './addresses.js';
import { parseAnnotation } from './annotation.js';
import { readCodeBlocks } from './markdown-blocks.js';

function blocksOf(markdown: string) {
  const dir = mkdtempSync(join(tmpdir(), 'accord-docs-parse-'));
  try {
    writeFileSync(join(dir, 'doc.md'), markdown);
    return readCodeBlocks(join(dir, 'doc.md'), 'doc.md');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('reading doc blocks', () => {
  it('finds fenced blocks with their line, language, section and annotation', () => {
    const blocks = blocksOf(
      [
        '# Title',
        '## Tour',
        '<!-- run: ts prelude=tour -->',
        '',
        '```ts',
        'await go();',
        '```',
        '',
        '- a list item:',
        '',
        '  ```sh',
        '  accord tx list',
        '  ```',
        '```',
        'plain',
        '```',
      ].join('\n'),
    );
    assert.equal(blocks.length, 3);
    const [ts, sh, plain] = blocks;
    assert.equal(ts?.line, 5);
    assert.equal(ts?.lang, 'ts');
    assert.equal(ts?.section, 'Tour');
    assert.equal(ts?.code, 'await go();');
    assert.equal(ts?.annotation?.options['prelude'], 'tour');
    assert.equal(sh?.lang, 'sh');
    assert.equal(sh?.annotation, undefined, 'an annotation covers only the next block');
    assert.equal(plain?.lang, '');
  });

  it('refuses an unknown kind, and an exemption or type-check without a reason', () => {
    assert.throws(() => parseAnnotation(' skip ', 'doc.md:3'), /doc\.md:3: unknown run annotation/);
    assert.throws(() => parseAnnotation(' exempt ', 'doc.md:3'), /must say why/);
    assert.throws(() => parseAnnotation(' typecheck prelude=x ', 'doc.md:3'), /must say why/);
    const exempt = parseAnnotation(' exempt (starts a server (on 7070)) ', 'doc.md:3');
    assert.equal(exempt.reason, 'starts a server (on 7070)');
    assert.ok(parseAnnotation(' sh background ', 'x').flags.has('background'));
  });
});

describe('matching an abridged answer', () => {
  const actual = {
    transaction: { gid: 'g', status: 'succeeded', branches: [{ op: 'action', n: 1 }] },
  };

  it('accepts an answer that has every documented field', () => {
    const documented = {
      transaction: { gid: 'g', '…': '…', branches: [{ op: 'action', '…': '…' }] },
    };
    assert.deepEqual(abridgedMismatches(documented, actual), []);
  });

  it('names each field that differs or is missing, and arrays of another length', () => {
    const documented = { transaction: { status: 'failed', reason: null, branches: [] } };
    assert.deepEqual(abridgedMismatches(documented, actual), [
      '$.transaction.status: expected "failed", got "succeeded"',
      '$.transaction.reason: missing',
      '$.transaction.branches: expected 0 elements, got 1',
    ]);
  });
});

describe('rewriting the documented addresses', () => {
  it('points the coordinator, the participant ports and the merchant at the run', () => {
    const addresses = {
      coordinatorUrl: 'http://127.0.0.1:40000',
      participantPorts: [40001, 40002] as const,
      merchantPort: 40003,
    };
    const code = [
      'curl http://127.0.0.1:7070/v1/transactions',
      'for (const p of [8081,8082]) listen(p)',
      "url: 'https://merchant.example/callbacks/payment'",
      'amount: 80810',
    ].join('\n');
    assert.equal(
      rewriteAddresses(code, addresses),
      [
        'curl http://127.0.0.1:40000/v1/transactions',
        'for (const p of [40001,40002]) listen(p)',
        "url: 'http://127.0.0.1:40003/callbacks/payment'",
        'amount: 80810',
      ].join('\n'),
    );
  });
});
