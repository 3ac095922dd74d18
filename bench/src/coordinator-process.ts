/**
 * Runs a real coordinator as a child process (`packages/server/dist/cli/main.js serve`)
 * on a free port with a fresh temporary data dir, waits for `/readyz`, and takes it down
 * again. Children still alive when the bench exits (error, Ctrl-C) are killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/** How to start a coordinator. */
export interface CoordinatorOptions {
  /** `ACCORD_STORE`: `sqlite:<file>` (relative to the data dir) or a postgres URL. */
  readonly store: string;
  /** How long to wait for `/readyz`, ms (default 30 s). */
  readonly readyTimeoutMs?: number;
}

/** What the coordinator logged at warn level or above. */
export interface CoordinatorLogSummary {
  readonly warnings: number;
  readonly errors: number;
  /** The first few such lines, trimmed. */
  readonly samples: readonly string[];
}

/** A running coordinator child process. */
export interface CoordinatorProcess {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  /**
   * Stops it (SIGTERM, then SIGKILL after a grace; SIGKILL at once with `force`),
   * summarizes its log and removes the data dir.
   */
  stop(options?: { force?: boolean }): Promise<CoordinatorLogSummary>;
}

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STOP_GRACE_MS = 15_000;
const SAMPLE_LINES = 5;

const live = new Map<ChildProcess, string>();
process.on('exit', () => {
  for (const [child, dataDir] of live) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Environment of the child: ours without any `ACCORD_*` (for reproducible runs), plus its own. */
function childEnv(port: number, dataDir: string, store: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ACCORD_')) env[key] = value;
  }
  return {
    ...env,
    ACCORD_HOST: '127.0.0.1',
    ACCORD_PORT: String(port),
    ACCORD_DATA_DIR: dataDir,
    ACCORD_STORE: store,
    ACCORD_LOG_LEVEL: 'warn',
  };
}

function summarizeLog(logFile: string): CoordinatorLogSummary {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return { warnings: 0, errors: 0, samples: [] };
  }
  let warnings = 0;
  let errors = 0;
  const samples: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let level = 50; // a line that is not pino JSON (a crash trace) counts as an error
    try {
      const parsed = JSON.parse(line) as { level?: unknown };
      if (typeof parsed.level === 'number') level = parsed.level;
    } catch {
      // keep level 50
    }
    if (level < 40) continue;
    if (level < 50) warnings++;
    else errors++;
    if (samples.length < SAMPLE_LINES) samples.push(line.slice(0, 400));
  }
  return { warnings, errors, samples };
}

function tail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(url: string, child: ChildProcess, logFile: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.exitCode ?? child.signalCode;
      throw new Error(
        `coordinator exited (${how}) before it was ready; log tail:\n${tail(logFile)}`,
      );
    }
    try {
      const response = await request(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await response.body.dump();
      if (response.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`coordinator not ready after ${timeoutMs} ms; log tail:\n${tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts a coordinator and resolves once `/readyz` answers 200.
 *
 * @example
 * const coordinator = await startCoordinator({ store: 'sqlite:accord.db' });
 * // … POST `${coordinator.url}/v1/transactions` …
 * await coordinator.stop();
 */
export async function startCoordinator(options: CoordinatorOptions): Promise<CoordinatorProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-bench-'));
  const logFile = join(dataDir, 'coordinator.log');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: REPO_ROOT,
    env: childEnv(port, dataDir, options.store),
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  live.set(child, dataDir);
  const exited = once(child, 'exit');
  const stop = async ({ force = false } = {}): Promise<CoordinatorLogSummary> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(force ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
    const summary = summarizeLog(logFile);
    rmSync(dataDir, { recursive: true, force: true });
    return summary;
  };
  try {
    await waitReady(url, child, logFile, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid ?? -1, dataDir, stop };
}
