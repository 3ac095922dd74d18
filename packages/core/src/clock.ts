/** A source of time, injectable so tests can move it by hand. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that only moves when told to.
 *
 * @example
 * const clock = new ManualClock(1_000);
 * clock.advance(500); // clock.now() === 1_500
 */
export class ManualClock implements Clock {
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward (or back, with a negative value). */
  advance(ms: number): void {
    this.current += ms;
  }

  /** Sets the time. */
  set(ms: number): void {
    this.current = ms;
  }
}
