/**
 * A real coordinator process (`accord serve`) for end-to-end and chaos tests: started
 * on a free port with its own data dir or PostgreSQL schema, killed with SIGKILL at will,
 * restarted on the same store.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, RUN_ID_VARIABLE, currentRunId, waitFor } from '@accord/testkit';

/**
 * The `accord` bin, as users run it: the one-file bundle when it is current (as after
 * `npm install`), the compiled modules otherwise.
 */
const CLI = fileURLToPath(new URL('../../../packages/server/bin/accord.js', import.meta.url));

/** How to run the coordinator. */
export interface CoordinatorOptions {
  /** Data dir (SQLite file and anything else the server writes). */
  readonly dataDir: string;
  /** Store URL; default SQLite in the data dir. */
  readonly store?: string;
  /** Extra `ACCORD_*` settings. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The end of a coordinator log, for error messages (the data dir is removed later). */
function readLogTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-3000);
  } catch {
    return '(no log)';
  }
}

/** Fast timings for tests: short leases, quick polls and retries. */
export const FAST_ENV: Readonly<Record<string, string>> = {
  ACCORD_LEASE_MS: '1500',
  ACCORD_POLL_INTERVAL_MS: '50',
  ACCORD_RETRY_FIRST_MS: '100',
  ACCORD_RETRY_MAX_MS: '1000',
  ACCORD_LOG_LEVEL: 'warn',
};

/**
 * How long a coordinator may take to become ready. Generous on purpose: on a loaded
 * machine start-up takes many times its idle cost, and a too-short wait only turns a slow
 * start into a failure.
 */
export const READY_TIMEOUT_MS = 90_000;

/** A coordinator child process. */
export class CoordinatorProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private port = 0;
  private starts = 0;
  /** Exit signal of the last run, e.g. `SIGKILL` after a crash point fired. */
  lastSignal: NodeJS.Signals | null = null;
  /** Set when the test itself stops the process, so an unexpected exit can be reported. */
  private stopping = false;

  constructor(private readonly options: CoordinatorOptions) {}

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /**
   * Starts (or restarts) the process with optional extra env; resolves when ready. When it
   * is not ready within {@link READY_TIMEOUT_MS} or start-up fails in any other way, the
   * child is killed before the error (with the tail of its log) is thrown.
   */
  async start(extraEnv: Readonly<Record<string, string>> = {}): Promise<void> {
    if (this.running) throw new Error('coordinator already running');
    if (this.port === 0) this.port = await freePort();
    mkdirSync(this.options.dataDir, { recursive: true });
    this.starts += 1;
    const logPath = join(this.options.dataDir, `coordinator-${this.starts}.log`);
    const log = createWriteStream(logPath);
    this.stopping = false;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      [RUN_ID_VARIABLE]: currentRunId(),
      ACCORD_PORT: String(this.port),
      ACCORD_DATA_DIR: this.options.dataDir,
      ...FAST_ENV,
      ...(this.options.store ? { ACCORD_STORE: this.options.store } : {}),
      ...this.options.env,
      ...extraEnv,
    };
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    this.lastSignal = null;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.lastSignal = signal;
        const expected =
          this.stopping || signal === 'SIGKILL' || this.options.env?.['ACCORD_CRASH_POINTS'];
        if (!expected && code !== 0) {
          // An exit nobody asked for is a bug: show why, since the data dir is removed later.
          const tail = readLogTail(logPath);
          console.error(
            `coordinator exited unexpectedly (code ${code}, signal ${signal}):\n${tail}`,
          );
        }
        resolve(code);
      }),
    );
    try {
      await waitFor(
        async () => {
          if (!this.running)
            throw new Error(`coordinator exited during start-up (see ${this.options.dataDir})`);
          try {
            const res = await fetch(`${this.url}/readyz`, {
              signal: AbortSignal.timeout(5_000),
            });
            return res.ok;
          } catch {
            return false;
          }
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 50, what: 'the coordinator to be ready' },
      );
    } catch (error) {
      await this.kill9();
      const tail = readLogTail(logPath);
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tail}`);
    }
  }

  /** Resolves when the process has exited (for crash points that kill it). */
  async waitForExit(timeoutMs = READY_TIMEOUT_MS): Promise<NodeJS.Signals | null> {
    const timer = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('coordinator did not exit in time')), timeoutMs).unref(),
    );
    await Promise.race([this.exited, timer]);
    return this.lastSignal;
  }

  /** kill -9: no shutdown, no cleanup, like a power cut. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Freezes the process (SIGSTOP): it holds its leases but does nothing, like a long GC pause. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Thaws a paused process (SIGCONT). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Graceful stop (SIGTERM). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    this.child?.kill('SIGTERM');
    await this.exited;
  }
}
