/**
 * A PostgreSQL server of the test's own: `initdb` into a temporary directory with the
 * machine's PostgreSQL binaries, on a free loopback port, trust authentication. Suites use
 * it when they need settings the shared server does not have (prepared transactions for
 * XA) or must crash and restart their store; the shared server is never touched.
 *
 * @example
 * const pg = await PrivatePostgres.start({ settings: { max_prepared_transactions: '64' } });
 * try {
 *   await pg.crash(); // immediate shutdown: recovery from the WAL on the next start
 *   await pg.start();
 * } finally {
 *   await pg.remove();
 * }
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { chownSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresBinaries } from './postgres-binaries.js';
import { unprivilegedUser } from './unprivileged-user.js';
import { freePort, waitFor } from './waiting.js';

/** How to set up a private PostgreSQL. */
export interface PrivatePostgresOptions {
  /** Server settings (`-c name=value`) on top of the defaults below. */
  readonly settings?: Readonly<Record<string, string>>;
  /** How long start-up may take before it counts as failed (default 60 s). */
  readonly startTimeoutMs?: number;
}

/**
 * Defaults for a throw-away server. `fsync` and `full_page_writes` only protect against
 * an operating-system crash, which tests never cause; `synchronous_commit` stays on, so an
 * acknowledged commit survives a crash of PostgreSQL itself (the restart tests rely on it).
 */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  fsync: 'off',
  full_page_writes: 'off',
  max_connections: '200',
  shared_buffers: '32MB',
  max_prepared_transactions: '64',
};

const STOP_GRACE_MS = 20_000;

/** A running (or stopped) private PostgreSQL. */
export class PrivatePostgres {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    private readonly bin: string,
    private readonly baseDir: string,
    readonly port: number,
    private readonly settings: Readonly<Record<string, string>>,
    private readonly startTimeoutMs: number,
    private readonly owner: { uid: number; gid: number } | undefined,
  ) {}

  /** Why a private PostgreSQL cannot run on this machine, or null when it can. */
  static unavailable(): string | null {
    try {
      postgresBinaries();
      unprivilegedUser();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Creates the cluster and starts it; on failure nothing is left behind. */
  static async start(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const bin = postgresBinaries();
    const owner = unprivilegedUser();
    const baseDir = mkdtempSync(join(tmpdir(), 'accord-pg-'));
    const server = new PrivatePostgres(
      bin,
      baseDir,
      await freePort(),
      { ...DEFAULT_SETTINGS, ...options.settings },
      options.startTimeoutMs ?? 60_000,
      owner,
    );
    try {
      if (owner) chownSync(baseDir, owner.uid, owner.gid);
      server.initdb();
      await server.start();
      return server;
    } catch (error) {
      await server.remove();
      throw error;
    }
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The postmaster's process id while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Whether the postmaster runs. */
  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  private get dataDir(): string {
    return join(this.baseDir, 'data');
  }

  private get logPath(): string {
    return join(this.baseDir, 'postgres.log');
  }

  private spawnOptions(): SpawnOptions {
    return this.owner ? { uid: this.owner.uid, gid: this.owner.gid } : {};
  }

  private initdb(): void {
    const result = spawnSync(
      join(this.bin, 'initdb'),
      ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
      { ...this.spawnOptions(), encoding: 'utf8', timeout: 120_000, env: { LC_ALL: 'C' } },
    );
    if (result.status !== 0) {
      const why = (result.stderr || result.stdout || String(result.error ?? '')).trim();
      throw new Error(`initdb failed (exit ${result.status ?? result.signal}): ${why}`);
    }
  }

  /** Starts the server on its data dir and port (again, after `stop` or `crash`). */
  async start(): Promise<void> {
    if (this.running) throw new Error('private PostgreSQL already running');
    const args = ['-D', this.dataDir, '-p', String(this.port)];
    for (const [name, value] of Object.entries(this.settings)) args.push('-c', `${name}=${value}`);
    const log = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(join(this.bin, 'postgres'), args, {
        ...this.spawnOptions(),
        stdio: ['ignore', log, log],
        env: { ...process.env, LC_ALL: 'C' },
      });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(() => this.accepts(), {
        timeoutMs: this.startTimeoutMs,
        intervalMs: 100,
        what: `the private PostgreSQL on port ${this.port}`,
      });
    } catch (error) {
      await this.signal('SIGQUIT');
      throw new Error(`${(error as Error).message}\n${this.logTail()}`);
    }
  }

  private async accepts(): Promise<boolean> {
    if (!this.running) throw new Error(`private PostgreSQL exited on start-up:\n${this.logTail()}`);
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-2000);
    } catch {
      return '(no log)';
    }
  }

  /** Sends `signal` to the postmaster and waits for it to exit, SIGKILL after a grace. */
  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    const grace = new Promise<'late'>((r) => setTimeout(() => r('late'), STOP_GRACE_MS).unref());
    if ((await Promise.race([this.exited, grace])) === 'late') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Clean ("fast") shutdown: sessions end, a checkpoint is written. */
  async stop(): Promise<void> {
    await this.signal('SIGINT');
  }

  /**
   * Immediate shutdown, as after a crash: every backend quits at once with no checkpoint,
   * and the next start recovers from the WAL.
   */
  async crash(): Promise<void> {
    await this.signal('SIGQUIT');
  }

  /** Stops the server at once and deletes its directory. */
  async remove(): Promise<void> {
    await this.signal('SIGQUIT');
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
