/**
 * The coordinator as a child process (the `accord serve` CLI on a SQLite file), so the
 * demo can kill it with SIGKILL and start it again on the same port and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./cli/main.js', import.meta.resolve('@accord/server')));

/** A coordinator process that can be killed and restarted. */
export class CoordinatorChild {
  private child: ChildProcess | undefined;
  private port = 0;

  constructor(
    private readonly dataDir: string,
    private readonly env: Readonly<Record<string, string>> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts it (with extra settings) and waits until it is ready. */
  async start(extra: Readonly<Record<string, string>> = {}): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        PATH: process.env['PATH'],
        ACCORD_PORT: String(this.port),
        ACCORD_DATA_DIR: this.dataDir,
        ACCORD_LOG_LEVEL: 'fatal',
        ...this.env,
        ...extra,
      },
      stdio: 'ignore',
    });
    this.child = child;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error('the coordinator exited while starting');
      }
      const ready = await fetch(`${this.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error('the coordinator did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Resolves with the signal the process died of. */
  exited(): Promise<NodeJS.Signals | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return Promise.resolve(child?.signalCode ?? null);
    }
    return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  }

  /** Stops it gracefully. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = this.exited();
    child.kill('SIGTERM');
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
