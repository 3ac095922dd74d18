/**
 * Runs an async pass again and again: each pass resolves to the delay before the next
 * one. Stopping cancels the next pass and waits for one in progress. The background loops
 * of the engine (recovery, retention) are built on it.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  /**
   * @param pass one run; must not reject (it handles its own errors) and returns the next delay, ms
   * @param keepAlive whether the pending timer keeps the process alive
   */
  constructor(
    private readonly pass: () => Promise<number>,
    private readonly keepAlive = true,
  ) {}

  /** Whether {@link stop} was called (a long pass may check it to end early). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts; the first pass runs right away. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().then((next) => this.schedule(next));
    }, delay);
    if (!this.keepAlive) this.timer.unref();
  }
}
