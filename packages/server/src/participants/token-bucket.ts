/**
 * A token bucket that hands out reservations: a call takes the next token, even one not
 * yet there, and learns how long to wait for it, so waiting calls go out in order at the
 * rate and none of them polls. Pure: the time comes in with every question.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  /**
   * @param ratePerSec tokens added per second
   * @param burst most tokens kept while nobody takes them
   */
  constructor(
    private ratePerSec: number,
    private burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** A bucket whose burst is a tenth of a second's worth of its rate (at least 1). */
  static forRate(ratePerSec: number, now: number): TokenBucket {
    return new TokenBucket(ratePerSec, burstOf(ratePerSec), now);
  }

  /** The rate, tokens per second. */
  get rate(): number {
    return this.ratePerSec;
  }

  /** Changes the rate from now on; the tokens kept so far stay (up to the new burst). */
  setRate(ratePerSec: number, now: number): void {
    this.refill(now);
    this.ratePerSec = ratePerSec;
    this.burst = burstOf(ratePerSec);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** How long (ms) the next token is away, without taking it. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec);
  }

  /** Takes the next token; returns how long (ms) to wait before using it (0: now). */
  take(now: number): number {
    const wait = this.waitMs(now);
    this.tokens -= 1;
    return wait;
  }

  private refill(now: number): void {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.ratePerSec) / 1000);
      this.at = now;
    }
  }
}

function burstOf(ratePerSec: number): number {
  return Math.max(1, Math.ceil(ratePerSec / 10));
}
