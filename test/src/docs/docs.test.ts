/**
 * Docs that run: every code block of README.md and docs/*.md is run against a live
 * coordinator, type-checked, or carries an annotation saying why not (see annotation.ts).
 * TypeScript blocks are compiled strict (NodeNext) against the built workspace packages;
 * blocks that can run do, with a prelude supplying the context they assume and checking
 * what they did.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { rewriteAddresses } from './addresses.js';
import { BlockRunner } from './block-runner.js';
import { killAll } from './child-processes.js';
import { compileSnippets, type CompileResult } from './compile-snippets.js';
import { startDocsWorld, type DocsWorld } from './docs-world.js';
import { CODE_LANGS, readCodeBlocks, type CodeBlock } from './markdown-blocks.js';
import { PRELUDE_EPILOGUES } from './prelude-epilogues.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));

const files = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const blocks: CodeBlock[] = files.flatMap((file) => readCodeBlocks(join(repoRoot, file), file));
const codeBlocks = blocks.filter((b) => CODE_LANGS.has(b.lang));
const isTypeScript = (b: CodeBlock) => b.lang === 'ts' || b.lang === 'typescript';
const label = (b: CodeBlock) => {
  const a = b.annotation;
  const prelude = a?.options['prelude'] ? ` prelude=${a.options['prelude']}` : '';
  return `${b.file}:${b.line} ${b.lang} (${a?.kind ?? 'unannotated'}${prelude})`;
};

describe('docs that run', () => {
  let world: DocsWorld | undefined;
  let compiled: CompileResult | undefined;

  before(async () => {
    world = await startDocsWorld(repoRoot);
  });

  after(async () => {
    killAll();
    await world?.close();
  });

  test('every code block is run or says why not', () => {
    const problems: string[] = [];
    for (const block of codeBlocks) {
      const kind = block.annotation?.kind;
      if (!kind) {
        problems.push(
          `${block.file}:${block.line}: a ${block.lang} block with no <!-- run: … --> annotation`,
        );
      } else if (
        isTypeScript(block) !== (kind === 'ts' || kind === 'typecheck') &&
        kind !== 'exempt'
      ) {
        problems.push(
          `${block.file}:${block.line}: "run: ${kind}" does not fit a ${block.lang} block`,
        );
      }
    }
    assert.deepEqual(problems, []);
  });

  test('TypeScript blocks compile (strict, NodeNext, against the built packages)', () => {
    assert.ok(world, 'the world started');
    const addresses = world.addresses;
    compiled = compileSnippets(
      codeBlocks
        .filter(
          (b) =>
            isTypeScript(b) && (b.annotation?.kind === 'ts' || b.annotation?.kind === 'typecheck'),
        )
        .map((b) => ({
          where: `${b.file}:${b.line}`,
          file: b.file,
          fenceLine: b.line,
          code: rewriteAddresses(b.code, addresses),
          prelude: b.annotation?.options['prelude'],
          epilogue: PRELUDE_EPILOGUES[b.annotation?.options['prelude'] ?? ''],
        })),
      {
        repoRoot,
        snippetDir: join(repoRoot, 'test/dist/docs-snippets'),
        preludeDir: join(here, 'preludes'),
      },
    );
    assert.deepEqual(compiled.errors, []);
  });

  for (const file of files) {
    test(`${file}: its blocks run against a live coordinator`, async (t) => {
      assert.ok(world && compiled, 'the world started and the blocks compiled');
      const runner = new BlockRunner(world, compiled.snippets, join(here, 'snippet-host.js'));
      try {
        for (const block of codeBlocks.filter((b) => b.file === file)) {
          await t.test(label(block), async (s) => {
            const outcome = await runner.run(block).catch((error: unknown) => {
              const log = world?.coordinatorLog() ?? '';
              throw new Error(`${String(error)}\n--- coordinator log (tail) ---\n${log}`);
            });
            if (!outcome.ran) s.skip(outcome.why);
          });
        }
      } finally {
        await runner.stopBackground();
      }
    });
  }
});
