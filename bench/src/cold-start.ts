/**
 * Cold start: how much CPU `accord serve` spends before it can serve. Each run starts a
 * fresh coordinator through the `accord` bin (new SQLite data dir; V8's code cache of the
 * bundle made by one earlier start, as on any machine where accord has run before), polls `/readyz` until
 * it first answers 200, and at that moment reads the child's CPU time (user + system,
 * from /proc/<pid>/stat) and the wall time since the spawn. CPU time is the figure to
 * compare across machines and loads; wall time also counts waiting for the CPU on a busy
 * machine.
 *
 * Measured in the same run, interleaved: Node's own start (`node -e ''`: the CPU it
 * reports at the end of its script) and a bare `node:http` server, for scale; and the
 * coordinator started from the compiled modules (dist/cli/main.js) instead of the bundle
 * the bin runs, to show what the bundle saves.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './coordinator-process.js';

const BIN = fileURLToPath(new URL('../../packages/server/bin/accord.js', import.meta.url));
const BUNDLE = fileURLToPath(
  new URL('../../packages/server/dist/bundle/accord.cjs', import.meta.url),
);
const UNBUNDLED = fileURLToPath(new URL('../../packages/server/dist/cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
/** The raw baseline: Node and an HTTP server that answers 200, nothing else. */
const RAW_SERVER = `require('node:http').createServer((q, s) => s.end('{}')).listen(+process.env.ACCORD_PORT, '127.0.0.1')`;
/** `node -e ''`, telling its own CPU at the end of the script (nothing is left to run). */
const EMPTY_NODE = `const usage = process.cpuUsage(); process.stdout.write(JSON.stringify(usage))`;
const POLL_MS = 5;

/** Median and range of one quantity over the runs, ms. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The cold-start measurement as reported. */
export interface ColdStartResult {
  readonly runs: number;
  readonly store: 'sqlite';
  /** CPU (user + system) of the coordinator until `/readyz` answered; null off Linux. */
  readonly cpuMs: Spread | null;
  /** Wall time from spawn until `/readyz` answered. */
  readonly wallMs: Spread;
  /** Every run, in order: [cpu ms or null, wall ms]. */
  readonly samples: readonly (readonly [number | null, number])[];
  /** The raw baseline's CPU until it answered (bare `node:http`); null off Linux. */
  readonly rawCpuMs: Spread | null;
  /** The raw baseline's wall time until it answered. */
  readonly rawWallMs: Spread;
  /** CPU of `node -e ''`: Node's own start on this machine, now. */
  readonly nodeCpuMs: Spread;
  /** Median CPU of the coordinator over median CPU of `node -e ''`; null off Linux. */
  readonly cpuRatioToNode: number | null;
  /** CPU of the first start, before V8's code cache of the bundle exists; null off Linux. */
  readonly firstStartCpuMs: number | null;
  /** CPU of the coordinator started from dist/cli/main.js (no bundle); null off Linux. */
  readonly unbundledCpuMs: Spread | null;
}

/** What one cold start spawns: the coordinator (bin or compiled modules), or a baseline. */
type Subject = 'accord' | 'unbundled' | 'raw';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ), or null without /proc. */
function clockTicks(): number | null {
  try {
    readFileSync('/proc/self/stat');
  } catch {
    return null;
  }
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, ms. */
function cpuOf(pid: number, ticks: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks;
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

/** Environment of the child: ours without any `ACCORD_*`, plus its own. */
function childEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ACCORD_')) env[key] = value;
  }
  return {
    ...env,
    ACCORD_HOST: '127.0.0.1',
    ACCORD_PORT: String(port),
    ACCORD_DATA_DIR: dataDir,
    ACCORD_STORE: 'sqlite:accord.db',
    ACCORD_LOG_LEVEL: 'warn',
  };
}

/** One cold start: [cpu ms or null, wall ms] when `/readyz` first answered 200. */
async function coldStartOnce(
  subject: Subject,
  ticks: number | null,
  stop: 'SIGKILL' | 'SIGTERM' = 'SIGKILL',
): Promise<[number | null, number]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-cold-'));
  const port = await freePort();
  const started = performance.now();
  const args =
    subject === 'raw' ? ['-e', RAW_SERVER] : [subject === 'accord' ? BIN : UNBUNDLED, 'serve'];
  const child = spawn(process.execPath, args, {
    env: childEnv(port, dataDir),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`coordinator exited before it was ready: ${stderr.slice(-2000)}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        await response.arrayBuffer();
        if (response.status === 200) {
          const cpu = ticks === null ? null : cpuOf(child.pid ?? -1, ticks);
          return [cpu, performance.now() - started];
        }
      } catch {
        // not listening yet
      }
      if (performance.now() - started > READY_TIMEOUT_MS) {
        throw new Error(`coordinator not ready after ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill(stop);
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** CPU ms of one `node -e ''`, as the child reports it at the end of its script. */
async function emptyNodeOnce(): Promise<number> {
  const child = spawn(process.execPath, ['-e', EMPTY_NODE], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`node -e '' exited with ${code}`);
  const usage = JSON.parse(out) as { user: number; system: number };
  return (usage.user + usage.system) / 1000;
}

/**
 * Starts `accord serve` on SQLite `runs` times, one after another.
 *
 * @example
 * const result = await measureColdStart(10);
 * console.log(result.cpuMs?.median);
 */
export async function measureColdStart(
  runs: number,
  onRun: (done: number, cpuMs: number | null, wallMs: number) => void = () => undefined,
): Promise<ColdStartResult> {
  const ticks = clockTicks();
  const samples: [number | null, number][] = [];
  const raw: [number | null, number][] = [];
  const unbundled: [number | null, number][] = [];
  const node: number[] = [];
  // The first start on a machine compiles the whole bundle and leaves V8's code cache
  // beside it (written at exit, so this one is stopped gracefully); every later start,
  // the restarts this figure is about, uses it. Reported apart as the first start.
  rmSync(`${BUNDLE}.v8cache`, { force: true });
  const [firstCpu] = await coldStartOnce('accord', ticks, 'SIGTERM');
  for (let i = 0; i < runs; i++) {
    node.push(await emptyNodeOnce());
    raw.push(await coldStartOnce('raw', ticks));
    unbundled.push(await coldStartOnce('unbundled', ticks));
    const [cpu, wall] = await coldStartOnce('accord', ticks);
    samples.push([cpu, wall]);
    onRun(i + 1, cpu, wall);
  }
  const cpuMs = cpuSpread(samples);
  const nodeCpuMs = spread(node);
  return {
    runs,
    store: 'sqlite',
    cpuMs,
    wallMs: spread(samples.map(([, w]) => w)),
    firstStartCpuMs: firstCpu,
    samples,
    rawCpuMs: cpuSpread(raw),
    rawWallMs: spread(raw.map(([, w]) => w)),
    nodeCpuMs,
    cpuRatioToNode: cpuMs && nodeCpuMs.median > 0 ? cpuMs.median / nodeCpuMs.median : null,
    unbundledCpuMs: cpuSpread(unbundled),
  };
}

function cpuSpread(samples: readonly (readonly [number | null, number])[]): Spread | null {
  const cpu = samples.map(([c]) => c).filter((c): c is number => c !== null);
  return cpu.length === samples.length && cpu.length > 0 ? spread(cpu) : null;
}

/** One line for the summary. */
export function formatColdStart(result: ColdStartResult): string {
  const show = (s: Spread) =>
    `median ${s.median.toFixed(0)} ms (range ${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const cpu = result.cpuMs ? `CPU ${show(result.cpuMs)}` : 'CPU not measurable here (no /proc)';
  const raw = result.rawCpuMs
    ? `raw node:http server: CPU ${show(result.rawCpuMs)}, wall ${show(result.rawWallMs)}`
    : `raw node:http server: wall ${show(result.rawWallMs)}`;
  const node = `node -e '': CPU ${show(result.nodeCpuMs)}`;
  const ratio =
    result.cpuRatioToNode === null
      ? ''
      : `; accord serve = ${result.cpuRatioToNode.toFixed(1)} × node -e ''`;
  const unbundled = result.unbundledCpuMs
    ? `\n  without the bundle (dist/cli/main.js): CPU ${show(result.unbundledCpuMs)}`
    : '';
  const first =
    result.firstStartCpuMs === null
      ? ''
      : `\n  first start (no V8 code cache yet): CPU ${result.firstStartCpuMs.toFixed(0)} ms`;
  return `cold start (accord serve on ${result.store}, ${result.runs} runs, until /readyz answers): ${cpu}; wall ${show(result.wallMs)}\n  ${node}${ratio}\n  ${raw}${unbundled}${first}`;
}
