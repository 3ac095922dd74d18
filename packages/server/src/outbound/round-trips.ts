/**
 * The measured round trip of calls to participants, so a decision that depends on time
 * (confirming a link that expires soon) allows for how long a call really takes.
 */

/** A smoothed round-trip estimate: it rises at once with a slow call and decays slowly. */
export class RoundTrips {
  private estimateMs = 0;

  /** Records one call's duration, ms. */
  record(ms: number): void {
    this.estimateMs = ms > this.estimateMs ? ms : this.estimateMs * 0.8 + ms * 0.2;
  }

  /** The current estimate, ms (0 before any call). */
  get ms(): number {
    return Math.ceil(this.estimateMs);
  }
}
