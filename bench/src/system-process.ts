/**
 * A system under test run as a child process: started on a free port (pinned to its CPU
 * when the bench pins), ready once `GET <url>/readyz` answers 200, stopped with SIGTERM
 * (SIGKILL after a grace). Children still alive when the bench exits are killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'undici';
import type { Pinning } from './pinning.js';

/** How to start one. */
export interface SystemSpec {
  /** What the error messages call it. */
  readonly name: string;
  /** Node script and its arguments. */
  readonly script: string;
  readonly args?: readonly string[];
  /** Flags for node itself (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** Complete environment of the child; `port` is where it must listen. */
  env(port: number): NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  readonly pinning: Pinning;
  /** How long to wait for `/readyz`, ms (default 30 s). */
  readonly readyTimeoutMs?: number;
}

/** A running child. */
export interface SystemProcess {
  readonly url: string;
  readonly pid: number;
  /** Stops it: SIGTERM, then SIGKILL after a grace; SIGKILL at once with `force`. */
  stop(options?: { force?: boolean }): Promise<void>;
}

const STOP_GRACE_MS = 15_000;
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
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

/** The last lines of a log file, for error messages. */
export function logTail(logFile: string, lines = 20): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(url: string, child: ChildProcess, spec: SystemSpec): Promise<void> {
  const timeoutMs = spec.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.exitCode ?? child.signalCode;
      throw new Error(
        `${spec.name} exited (${how}) before it was ready; log tail:\n${logTail(spec.logFile)}`,
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
      throw new Error(
        `${spec.name} not ready after ${timeoutMs} ms; log tail:\n${logTail(spec.logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the child and resolves once it is ready. */
export async function startSystem(spec: SystemSpec): Promise<SystemProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(spec.logFile, 'a');
  const { command, args } = spec.pinning.wrap(process.execPath, [
    ...(spec.nodeArgs ?? []),
    spec.script,
    ...(spec.args ?? []),
  ]);
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: spec.env(port),
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  live.add(child);
  const exited = once(child, 'exit');
  const stop = async ({ force = false } = {}): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(force ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
  };
  try {
    await waitReady(url, child, spec);
  } catch (error) {
    await stop({ force: true });
    throw error;
  }
  return { url, pid: child.pid ?? -1, stop };
}
