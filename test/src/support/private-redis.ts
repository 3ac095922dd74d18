/**
 * A Redis server of the test's own (redis-server from the machine), persisting with AOF
 * and `appendfsync always`, so it can be restarted without losing acknowledged writes.
 * The shared Redis keeps nothing on disk and must never be restarted by a test.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { freePort, waitFor } from '@accord/testkit';

/** A private, restartable Redis. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Whether `redis-server` is on this machine (else say how to get it). */
  static available(): string | null {
    const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    return probe.status === 0
      ? null
      : 'redis-server is not installed (apt-get install redis-server)';
  }

  /** Starts one in `dir` on a free port; if it does not come up, it is killed. */
  static async start(dir: string): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.launch();
    return redis;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(
        () =>
          spawnSync('redis-cli', ['-p', String(this.port), 'ping'], {
            encoding: 'utf8',
            timeout: 5_000,
          }).stdout?.trim() === 'PONG',
        { timeoutMs: 30_000, what: 'the private redis-server' },
      );
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Stops it abruptly (SIGKILL: whatever was fsynced to the AOF survives) and starts it again. */
  async restart(downMs: number): Promise<void> {
    await this.kill();
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  /** Kills the server. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
