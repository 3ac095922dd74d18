/**
 * Child processes for the packaging test: commands that must finish within a time limit,
 * and a coordinator that is killed on every path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** What a finished command printed. */
export interface CommandResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs a command, killing it (and failing) after `timeoutMs`; rejects on a non-zero exit
 * with its output, so a failure says what the command printed.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; allowFailure?: boolean },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms\n${output}`,
        ),
      );
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${output}`));
      } else resolve({ code, output });
    });
  });
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A started coordinator and how to stop it for sure. */
export interface Coordinator {
  readonly url: string;
  /** What it printed so far (for failure messages). */
  output(): string;
  /** Kills it (SIGKILL) and waits for the exit; safe to call twice. */
  kill(): Promise<void>;
}

/**
 * Starts `bin serve` and waits until `/readyz` answers. On any failure, time-outs
 * included, the process is killed before the error is thrown.
 */
export async function startCoordinator(
  bin: string,
  options: { cwd: string; dataDir: string; timeoutMs: number },
): Promise<Coordinator> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['serve', '--port', String(port), '--data-dir', options.dataDir],
    {
      cwd: options.cwd,
      env: { PATH: process.env['PATH'], ACCORD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const coordinator: Coordinator = {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    kill: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`accord serve exited ${child.exitCode}`);
      const ready = await fetch(`${coordinator.url}/readyz`).then(
        (res) => res.ok,
        () => false,
      );
      if (ready) return coordinator;
      if (Date.now() > deadline)
        throw new Error(`accord serve not ready in ${options.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await coordinator.kill();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
}
