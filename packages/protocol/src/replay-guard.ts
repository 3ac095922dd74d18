/**
 * Remembering the signatures a participant accepted, so an exact replay inside the
 * validity window is refused. Memory is bounded: past `maxEntries`, the oldest entries are
 * forgotten and every signature not newer than them is refused from then on, so a replay
 * is never let through for want of room (the sender's retry, signed afresh, passes).
 */
import { SIGNATURE_TOLERANCE_MS, type ReplayCheck } from './signature.js';

/** Options of a {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /**
   * How long after its time a signature stays valid, ms: the verifier's tolerance
   * (default 300000, as {@link SIGNATURE_TOLERANCE_MS}).
   */
  windowMs?: number;
  /** Most signatures remembered at once (default 100000, about 10 MB). */
  maxEntries?: number;
}

/**
 * A bounded memory of admitted signatures. One per participant helper by default; share
 * one among the routes of a service to also refuse a call replayed to another route.
 *
 * @example
 * const guard = new ReplayGuard();
 * guard.admit(mac, signedAt, Date.now()); // true the first time, false after
 */
export class ReplayGuard implements ReplayCheck {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  /** Signature → its time, in order of admission. */
  private readonly seen = new Map<string, number>();
  /** Signatures at or before this time can no longer be checked, so they are refused. */
  private floor = Number.NEGATIVE_INFINITY;

  constructor(options: ReplayGuardOptions = {}) {
    this.windowMs = options.windowMs ?? SIGNATURE_TOLERANCE_MS;
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new TypeError('maxEntries must be an integer >= 1');
    }
  }

  /** How many signatures are remembered now. */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Records the signature `mac` made at `signedAt`; false when it was already admitted (a
   * replay) or is too old to be told apart from one. Only call it for valid signatures.
   */
  admit(mac: string, signedAt: number, now: number): boolean {
    this.forgetExpired(now);
    if (signedAt <= this.floor || this.seen.has(mac)) return false;
    while (this.seen.size >= this.maxEntries) {
      const [oldest, at] = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldest);
      this.floor = Math.max(this.floor, at);
    }
    if (signedAt <= this.floor) return false;
    this.seen.set(mac, signedAt);
    return true;
  }

  /** Drops, from the oldest, entries whose signatures are stale anyway. */
  private forgetExpired(now: number): void {
    for (const [mac, at] of this.seen) {
      if (at + this.windowMs >= now) break;
      this.seen.delete(mac);
    }
  }
}
