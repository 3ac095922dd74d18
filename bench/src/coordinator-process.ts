/**
 * Runs a real coordinator as a child process (`packages/server/dist/cli/main.js serve`)
 * on a free port with a fresh temporary data dir, waits for `/readyz`, and takes it down
 * again. Children still alive when the bench exits (error, Ctrl-C) are killed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notPinned, type Pinning } from './pinning.js';
import { startSystem } from './system-process.js';

export { freePort } from './system-process.js';

/** How to start a coordinator. */
export interface CoordinatorOptions {
  /** `ACCORD_STORE`: `sqlite:<file>` (relative to the data dir) or a postgres URL. */
  readonly store: string;
  /** How long to wait for `/readyz`, ms (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Which CPU it runs on (default: not pinned). */
  readonly pinning?: Pinning;
  /** Flags for node itself, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
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
const SAMPLE_LINES = 5;

const dataDirs = new Set<string>();
process.on('exit', () => {
  for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
});

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
  dataDirs.add(dataDir);
  const logFile = join(dataDir, 'coordinator.log');
  const remove = () => {
    rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  };
  let system;
  try {
    system = await startSystem({
      name: 'coordinator',
      script: CLI,
      args: ['serve'],
      nodeArgs: options.nodeArgs ?? [],
      env: (port) => childEnv(port, dataDir, options.store),
      cwd: REPO_ROOT,
      logFile,
      pinning: options.pinning ?? notPinned('not asked'),
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
    });
  } catch (error) {
    remove();
    throw error;
  }
  const stop = async ({ force = false } = {}): Promise<CoordinatorLogSummary> => {
    await system.stop({ force });
    const summary = summarizeLog(logFile);
    remove();
    return summary;
  };
  return { url: system.url, pid: system.pid, dataDir, stop };
}
