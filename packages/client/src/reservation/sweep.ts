/**
 * The safety net under delayed checks: a periodic pass over holds that are past their
 * expiry (plus a grace) and still unsettled, settling each exactly as its check would.
 * It catches a check that never arrived (a message parked for an operator, a store
 * restored from an old backup, a hold written by hand).
 */
import { settleHold } from './settle.js';
import type { Hold, HoldSettler } from './types.js';

/** What a sweep needs. */
export interface HoldSweepOptions<P> {
  /**
   * Unsettled holds whose expiry is at or before `before` (ms since the epoch), oldest
   * first, at most `limit`: a query over the caller's own table.
   */
  expired(before: number, limit: number): Promise<readonly Hold<P>[]> | readonly Hold<P>[];
  readonly settler: HoldSettler<P>;
  /**
   * How long after its expiry a hold is left to its own check before the sweep steps in,
   * ms (default 60000). Keep it above the check's usual delay, so the two rarely meet; when
   * they do, the settler's idempotence makes it harmless.
   */
  readonly graceMs?: number;
  /** Most holds settled in one pass (default 100). */
  readonly limit?: number;
  /** The clock (default `Date.now`). */
  readonly now?: () => number;
}

/** What one sweep pass did. */
export interface HoldSweepReport {
  readonly confirmed: number;
  readonly released: number;
  /** Still undecided: left for the next pass. */
  readonly waiting: number;
  /** Holds whose settling threw, with the error; the next pass tries them again. */
  readonly failed: readonly { readonly key: string; readonly error: unknown }[];
}

/** Default of {@link HoldSweepOptions.graceMs}. */
export const DEFAULT_HOLD_GRACE_MS = 60_000;

/**
 * Runs one sweep pass: settles every expired, unsettled hold the query returns, one at a
 * time, and reports what happened. A failure on one hold does not stop the others.
 *
 * @example
 * const report = await sweepHolds({ expired: (before, limit) => pendingSlots(before, limit), settler });
 */
export async function sweepHolds<P>(options: HoldSweepOptions<P>): Promise<HoldSweepReport> {
  const now = (options.now ?? Date.now)();
  const before = now - (options.graceMs ?? DEFAULT_HOLD_GRACE_MS);
  const holds = await options.expired(before, options.limit ?? 100);
  const counts = { confirmed: 0, released: 0, waiting: 0 };
  const failed: { key: string; error: unknown }[] = [];
  for (const hold of holds) {
    try {
      counts[await settleHold(options.settler, hold)] += 1;
    } catch (error) {
      failed.push({ key: hold.key, error });
    }
  }
  return { ...counts, failed };
}

/** A running periodic sweep. */
export interface HoldSweeper {
  /** Stops the timer and waits for a pass in progress to end. */
  stop(): Promise<void>;
}

/**
 * Runs {@link sweepHolds} every `intervalMs`, one pass at a time (a slow pass delays the
 * next instead of overlapping it). Passes that fail, or report failed holds, go to
 * `onReport`/`onError`; the timer never keeps the process alive on its own.
 *
 * @example
 * const sweeper = startHoldSweep({ expired, settler, intervalMs: 30_000, onError: (e) => log.error(e) });
 * // on shutdown:
 * await sweeper.stop();
 */
export function startHoldSweep<P>(
  options: HoldSweepOptions<P> & {
    readonly intervalMs: number;
    readonly onReport?: (report: HoldSweepReport) => void;
    readonly onError?: (error: unknown) => void;
  },
): HoldSweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const report = await sweepHolds(options);
      options.onReport?.(report);
    } catch (error) {
      options.onError?.(error);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().then(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
