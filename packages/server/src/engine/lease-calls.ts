/**
 * The rule that keeps a branch call inside its lease. An instance may have a call open
 * only until `callDeadline` (the lease's expiry minus a margin): it starts no call past
 * that point, and it aborts the calls it has open when the deadline passes without a
 * renewal or when it learns the lease is lost. Another instance can claim the
 * transaction only after the expiry itself, so two instances never have a call of the
 * same transaction open at once, unless a stall longer than the margin (a paused
 * process, a starved event loop) keeps the timers from firing in time.
 */

/** The share of the lease kept free between the last moment a call may be open and the expiry. */
const MARGIN_SHARE = 5;

/** The last moment (clock ms) a call may be open under a lease that expires at `leaseUntil`. */
export function callDeadline(leaseUntil: number, leaseMs: number): number {
  return leaseUntil - Math.floor(leaseMs / MARGIN_SHARE);
}

/**
 * The open calls of one lease: one abort signal for all of them, and a watchdog that
 * fires `onDeadline` when the deadline passes while calls are open. The watchdog runs on
 * real timers; `onDeadline` checks the clock, and either calls {@link LeaseCalls.extend}
 * (the deadline moved) or {@link LeaseCalls.abort}.
 */
export class LeaseCalls {
  private controller = new AbortController();
  private open = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onDeadline: () => void) {}

  /** Aborts with the lease: handed to every call. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A call starts; the watchdog is set for `deadline`. */
  begin(deadline: number, now: number): void {
    this.open += 1;
    this.arm(deadline, now);
  }

  /** A call ended (answered, timed out or aborted). */
  end(): void {
    this.open -= 1;
    if (this.open <= 0) {
      this.open = 0;
      clearTimeout(this.timer);
    }
  }

  /** The lease was renewed (or the deadline is not reached yet): moves the watchdog. */
  extend(deadline: number, now: number): void {
    if (this.open > 0) this.arm(deadline, now);
  }

  /** Every open call ends now (calls started later get a fresh signal). */
  abort(): void {
    clearTimeout(this.timer);
    this.controller.abort();
    this.controller = new AbortController();
  }

  private arm(deadline: number, now: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onDeadline, Math.max(0, deadline - now));
    this.timer.unref();
  }
}
