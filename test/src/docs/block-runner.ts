/**
 * Runs doc blocks in document order against a {@link DocsWorld}, per their annotation:
 * TypeScript blocks in their own process through the snippet host, shell blocks with
 * bash, JSON requests posted to the coordinator, JSON answers compared with the output of
 * the block before. Background blocks (stand-in services) are stopped at the next level-2
 * heading and at the end of their file.
 */
import { basename } from 'node:path';
import { abridgedMismatches } from './abridged-json.js';
import { canConnect } from './can-connect.js';
import { DOCUMENTED_PARTICIPANT_PORTS, rewriteAddresses } from './addresses.js';
import {
  runInBackground,
  runToEnd,
  type BackgroundProcess,
  type ProcessResult,
} from './child-processes.js';
import type { CompiledSnippet } from './compile-snippets.js';
import type { DocsService, DocsWorld } from './docs-world.js';
import type { CodeBlock } from './markdown-blocks.js';
import { createParkedTransaction } from './parked-transaction.js';

/** Services each prelude's context needs. */
export const PRELUDE_NEEDS: Readonly<Record<string, readonly DocsService[]>> = {
  tour: [],
  'xa-client': [],
  notify: [],
  participant: [],
  'msg-producer': ['postgres'],
  barrier: ['postgres'],
  outbox: ['postgres', 'rabbitmq'],
  'xa-participant': ['xa-postgres'],
};

/**
 * Longest a block may run. Generous: on a loaded machine each `accord` command of a
 * shell block pays the CLI's start-up, and a block may hold several.
 */
const BLOCK_TIMEOUT_MS = 60_000;

/** What running a block did. */
export type BlockOutcome = { readonly ran: true } | { readonly ran: false; readonly why: string };

function where(block: CodeBlock): string {
  return `${block.file}:${block.line}`;
}

function describeFailure(result: ProcessResult): string {
  const how = result.timedOut
    ? `did not finish within ${BLOCK_TIMEOUT_MS} ms (killed)`
    : `exited with ${result.code ?? result.signal}`;
  return [how, result.stderr.trim(), result.stdout.trim().slice(-2000)].filter(Boolean).join('\n');
}

/** Runs blocks one after another, keeping what the next block may need. */
export class BlockRunner {
  private readonly background: { file: string; section: string; process: BackgroundProcess }[] = [];
  private lastOutput: { where: string; text: string } | undefined;

  constructor(
    private readonly world: DocsWorld,
    private readonly compiled: ReadonlyMap<string, CompiledSnippet>,
    private readonly hostPath: string,
  ) {}

  /** Runs one block; throws with the file, line and error when it fails. */
  async run(block: CodeBlock): Promise<BlockOutcome> {
    await this.stopBackground((b) => b.file !== block.file || b.section !== block.section);
    const annotation = block.annotation;
    if (!annotation) throw new Error(`${where(block)}: no run annotation`);
    switch (annotation.kind) {
      case 'exempt':
        return { ran: false, why: annotation.reason };
      case 'typecheck':
        return { ran: false, why: `type-checked only: ${annotation.reason}` };
      case 'ts':
        return this.runTypeScript(block, annotation.options['prelude']);
      case 'sh':
        return annotation.flags.has('background') ? this.startShell(block) : this.runShell(block);
      case 'json-request':
        return this.postJson(block, annotation.options['post']);
      case 'json-response':
        return this.compareJson(block);
    }
  }

  /** Stops background blocks matching `which` (default: all). */
  async stopBackground(
    which: (b: { file: string; section: string }) => boolean = () => true,
  ): Promise<void> {
    for (let i = this.background.length - 1; i >= 0; i--) {
      const entry = this.background[i];
      if (!entry || !which(entry)) continue;
      this.background.splice(i, 1);
      await entry.process.stop();
    }
  }

  private async runTypeScript(
    block: CodeBlock,
    prelude: string | undefined,
  ): Promise<BlockOutcome> {
    for (const service of prelude === undefined ? [] : (PRELUDE_NEEDS[prelude] ?? [])) {
      const missing = this.world.missing(service);
      if (missing !== null) return { ran: false, why: `type-checked only: ${missing}` };
    }
    const snippet = this.compiled.get(where(block));
    if (!snippet) throw new Error(`${where(block)}: the block did not compile`);
    const result = await runToEnd(
      {
        command: process.execPath,
        args: ['--enable-source-maps', this.hostPath, snippet.jsPath],
        env: this.world.env,
        cwd: this.world.workDir,
      },
      BLOCK_TIMEOUT_MS,
    );
    if (result.code !== 0) {
      throw new Error(
        `${where(block)}: the block failed: ${this.mapLines(block, snippet, describeFailure(result))}`,
      );
    }
    this.lastOutput = { where: where(block), text: result.stdout };
    return { ran: true };
  }

  /** Points stack frames in the generated module at the Markdown lines. */
  private mapLines(block: CodeBlock, snippet: CompiledSnippet, text: string): string {
    const name = basename(snippet.jsPath).replace(/\.js$/, '');
    const frame = new RegExp(`\\S*${name}\\.(?:ts|js):(\\d+)(?::\\d+)?`, 'g');
    return text.replace(
      frame,
      (_, line: string) => `${block.file}:${block.line + Number(line) - 1}`,
    );
  }

  private bash(block: CodeBlock) {
    return {
      command: 'bash',
      args: ['-e', '-o', 'pipefail', '-c', rewriteAddresses(block.code, this.world.addresses)],
      env: this.world.env,
      cwd: this.world.workDir,
    };
  }

  /**
   * Runs a shell block to its end. With `parked=GID`, the documented gid stands for a
   * parked transaction made for the block.
   */
  private async runShell(block: CodeBlock): Promise<BlockOutcome> {
    const documentedGid = block.annotation?.options['parked'];
    if (documentedGid === undefined) return this.runShellAs(block, block);
    const parked = await createParkedTransaction(this.world.addresses.coordinatorUrl);
    try {
      return await this.runShellAs(block, {
        ...block,
        code: block.code.replaceAll(documentedGid, parked.gid),
      });
    } finally {
      await parked.close();
    }
  }

  private async runShellAs(block: CodeBlock, rewritten: CodeBlock): Promise<BlockOutcome> {
    const result = await runToEnd(this.bash(rewritten), BLOCK_TIMEOUT_MS);
    if (result.code !== 0)
      throw new Error(`${where(block)}: the commands failed: ${describeFailure(result)}`);
    this.lastOutput = { where: where(block), text: result.stdout };
    return { ran: true };
  }

  /** Starts a service-like block and waits until the participant ports it names accept connections. */
  private async startShell(block: CodeBlock): Promise<BlockOutcome> {
    const process = runInBackground(this.bash(block));
    this.background.push({ file: block.file, section: block.section, process });
    const ports = this.world.addresses.participantPorts.filter((_, i) =>
      new RegExp(`\\b${DOCUMENTED_PARTICIPANT_PORTS[i]}\\b`).test(block.code),
    );
    const deadline = Date.now() + BLOCK_TIMEOUT_MS;
    for (const port of ports) {
      while (!(await canConnect(port))) {
        if (!process.running || Date.now() > deadline) {
          const [stdout, stderr] = process.output();
          throw new Error(`${where(block)}: never listened on ${port}\n${stderr}${stdout}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return { ran: true };
  }

  private async postJson(block: CodeBlock, path: string | undefined): Promise<BlockOutcome> {
    if (!path?.startsWith('/')) throw new Error(`${where(block)}: json-request needs post=/PATH`);
    const body = rewriteAddresses(block.code, this.world.addresses);
    const response = await fetch(new URL(path, this.world.addresses.coordinatorUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(BLOCK_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${where(block)}: POST ${path} answered ${response.status}: ${text}`);
    this.lastOutput = { where: where(block), text };
    return { ran: true };
  }

  private compareJson(block: CodeBlock): BlockOutcome {
    const previous = this.lastOutput;
    if (!previous) throw new Error(`${where(block)}: json-response follows no block that ran`);
    let actual: unknown;
    try {
      actual = JSON.parse(previous.text);
    } catch {
      throw new Error(
        `${where(block)}: the output of ${previous.where} is not JSON: ${previous.text.slice(0, 500)}`,
      );
    }
    const expected: unknown = JSON.parse(rewriteAddresses(block.code, this.world.addresses));
    const mismatches = abridgedMismatches(expected, actual);
    if (mismatches.length > 0) {
      throw new Error(
        `${where(block)}: the documented answer differs from what ${previous.where} got:\n  ${mismatches.join('\n  ')}`,
      );
    }
    return { ran: true };
  }
}
