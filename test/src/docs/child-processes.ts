/**
 * Child processes of the docs test, all tracked so that the test can kill whatever is
 * left on any path. Killing one kills its descendants too (bash → curl, node -e …). They
 * stay in the test's process group, so a runner that kills the group takes them along.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** How a process ended. */
export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** What to run. */
export interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const live = new Set<ChildProcess>();

/** Every process descending from `pid` (children first found, then theirs). */
function descendantsOf(pid: number): number[] {
  const listing = spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout ?? '';
  const children = new Map<number, number[]>();
  for (const line of listing.split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined || Number.isNaN(child)) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() ?? -1) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** SIGKILLs the child and everything it started that still runs. */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  for (const pid of [child.pid, ...descendantsOf(child.pid)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function start(spec: ProcessSpec): { child: ChildProcess; output: () => [string, string] } {
  const child = spawn(spec.command, [...spec.args], {
    env: spec.env,
    cwd: spec.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { child, output: () => [stdout, stderr] };
}

/** Runs a process to its end, killing its group after `timeoutMs`. */
export function runToEnd(spec: ProcessSpec, timeoutMs: number): Promise<ProcessResult> {
  const { child, output } = start(spec);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
    }, timeoutMs);
    child.once('error', () => undefined);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const [stdout, stderr] = output();
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** A process left running. */
export interface BackgroundProcess {
  /** Output so far. */
  output(): [string, string];
  /** Whether it still runs. */
  readonly running: boolean;
  /** Kills its whole group and waits for it to go. */
  stop(): Promise<void>;
}

/** Starts a process and leaves it running. */
export function runInBackground(spec: ProcessSpec): BackgroundProcess {
  const { child, output } = start(spec);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  return {
    output,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      killTree(child);
      await exited;
    },
  };
}

/** Kills every process this module started that still runs. */
export function killAll(): void {
  for (const child of live) killTree(child);
}
