/**
 * Runs test files, each in a `node --test` process of its own (a process-group leader),
 * a few at a time. A file gets `fileTimeoutMs`: node's own `--test-timeout` reports it
 * as timed out first; if the process still runs a little later, the watchdog kills its
 * whole group and says which file hung. Output is printed per file when it ends, so
 * files running side by side do not interleave. Processes a file leaves running after it
 * ends are reported as that file's leak and killed.
 */
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { killGroup, processesInGroup } from './process-groups.mjs';

const WATCHDOG_GRACE_MS = 15_000;

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A pool; `running()` lists the group leaders still alive (for an emergency stop). */
export class FilePool {
  #running = new Map(); // pgid -> relative file name
  #results = [];
  #stopped = false;

  constructor({ root, env, fileTimeoutMs, log }) {
    this.root = root;
    this.env = env;
    this.fileTimeoutMs = fileTimeoutMs;
    this.log = log;
  }

  /** Results so far: `{ file, status: 'passed'|'failed'|'hung', leaked: [...] }`. */
  get results() {
    return this.#results;
  }

  /** Starts no more files, and kills every file still running with everything it started. */
  killAll() {
    this.#stopped = true;
    for (const [pgid, file] of this.#running) {
      this.log(`killing ${file} and every process it started`);
      killGroup(pgid);
    }
  }

  /** Names of the files still running. */
  runningFiles() {
    return [...this.#running.values()];
  }

  /** Runs `files` with at most `concurrency` at once; resolves when all ended. */
  async run(files, concurrency) {
    if (files.length === 0) return;
    const names = files.map((f) => relative(this.root, f));
    this.log(
      `running ${files.length} test files (concurrency ${concurrency}): ${names.join(', ')}`,
    );
    const queue = [...files];
    const worker = async () => {
      for (let file = queue.shift(); file !== undefined && !this.#stopped; file = queue.shift()) {
        await this.#runOne(file);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  #runOne(file) {
    const name = relative(this.root, file);
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=spec', `--test-timeout=${this.fileTimeoutMs}`, file],
      { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const pgid = child.pid;
    this.#running.set(pgid, name);
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    let hung = false;
    const watchdog = setTimeout(() => {
      hung = true;
      killGroup(pgid);
    }, this.fileTimeoutMs + WATCHDOG_GRACE_MS);
    return new Promise((resolve) => {
      child.once('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
      child.once('close', (code, signal) => {
        clearTimeout(watchdog);
        this.#running.delete(pgid);
        const leaked = processesInGroup(pgid);
        if (leaked.length > 0) killGroup(pgid);
        const status = hung ? 'hung' : code === 0 && leaked.length === 0 ? 'passed' : 'failed';
        const took = seconds(Date.now() - started);
        const verdict =
          status === 'hung'
            ? `HUNG: killed after ${seconds(this.fileTimeoutMs + WATCHDOG_GRACE_MS)} with everything it started`
            : status === 'passed'
              ? 'ok'
              : `FAILED (exit ${code ?? signal})`;
        process.stdout.write(`\n── ${name}: ${verdict}, ${took}\n`);
        process.stdout.write(Buffer.concat(output));
        for (const p of leaked) {
          process.stdout.write(`── ${name} left a process running: ${p.pid} ${p.command}\n`);
        }
        this.#results.push({ file: name, status, leaked });
        resolve();
      });
    });
  }
}
