/**
 * CPU pinning for the load cells, as the issue tracker's figures were taken: the system
 * under test (the raw relay or the coordinator) on one core, the load generator and the
 * participants on another, so the two never steal each other's time slices and the CPU a
 * system spends is its own. Uses `taskset` (util-linux); without it, or with fewer than
 * two usable CPUs, nothing is pinned and the report says why.
 */
import { execFileSync } from 'node:child_process';

/** Where each side runs, or why nothing is pinned. */
export interface Pinning {
  /** CPU of this process (load generator and participants), null when not pinned. */
  readonly loadCpu: number | null;
  /** CPU of the system under test, null when not pinned. */
  readonly systemCpu: number | null;
  /** One line for the report. */
  readonly description: string;
  /** The command that starts a system-under-test process on its CPU. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
}

/** No pinning: the system under test runs wherever the kernel puts it. */
export const notPinned = (why: string): Pinning => ({
  loadCpu: null,
  systemCpu: null,
  description: `not pinned (${why})`,
  wrap: (command, args) => ({ command, args: [...args] }),
});

/** Parses taskset's CPU list (`0,2-3`) into CPU numbers. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const [from, to] = part.split('-').map((n) => Number(n));
    if (from === undefined || !Number.isInteger(from)) continue;
    const last = to !== undefined && Number.isInteger(to) ? to : from;
    for (let cpu = from; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * Pins this process (all its threads, and the threads it starts later) to the first CPU
 * it may use, and returns how to start the system under test on the second.
 */
export function pinLoadAndSystem(wanted: boolean): Pinning {
  if (!wanted) return notPinned('--no-pin');
  if (process.platform !== 'linux')
    return notPinned(`taskset needs Linux, not ${process.platform}`);
  let allowed: number[];
  try {
    const out = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
    allowed = parseCpuList(out.slice(out.lastIndexOf(':') + 1));
  } catch {
    return notPinned('taskset not found: apt-get install util-linux');
  }
  const [loadCpu, systemCpu] = allowed;
  if (loadCpu === undefined || systemCpu === undefined) {
    return notPinned(`only ${allowed.length} CPU usable`);
  }
  execFileSync('taskset', ['-a', '-cp', String(loadCpu), String(process.pid)], { stdio: 'ignore' });
  return {
    loadCpu,
    systemCpu,
    description: `system under test on CPU ${systemCpu}, load generator and participants on CPU ${loadCpu}`,
    wrap: (command, args) => ({
      command: 'taskset',
      args: ['-c', String(systemCpu), command, ...args],
    }),
  };
}
