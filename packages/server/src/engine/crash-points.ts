/**
 * Named crash points for fault-injection tests: when a configured point is reached the
 * process kills itself with SIGKILL, as abruptly as a power cut. Configured with
 * `ACCORD_CRASH_POINTS=name` (first hit) or `name@N` (N-th hit); unset in production.
 */
import { ConfigError } from '../common/config-error.js';

/** Points the engine passes through. */
export type CrashPointName =
  /** A new transaction is durable, before anything was called. */
  | 'after-create'
  /** A branch call returned, before its result is recorded. */
  | 'after-branch-call'
  /**
   * A prepared transaction's submit or abort (or prepared timeout) is durable, before
   * any phase-two call: between the two phases of tcc and xa.
   */
  | 'after-decision'
  /** Every branch is done, before the terminal status is written. */
  | 'before-final-status';

/** Every crash point, for validation and docs. */
export const CRASH_POINTS: readonly CrashPointName[] = [
  'after-create',
  'after-branch-call',
  'after-decision',
  'before-final-status',
];

/**
 * Reads one `name` or `name@N` spec. Throws a {@link ConfigError} naming
 * `ACCORD_CRASH_POINTS` and saying what is wrong.
 *
 * @example
 * parseCrashPoint('after-create@3'); // { name: 'after-create', nth: 3 }
 */
export function parseCrashPoint(spec: string): { name: CrashPointName; nth: number } {
  const [name = '', nth, extra] = spec.split('@');
  if (!CRASH_POINTS.includes(name as CrashPointName)) {
    throw new ConfigError(
      `ACCORD_CRASH_POINTS: unknown point "${name}" (known: ${CRASH_POINTS.join(', ')})`,
    );
  }
  const n = nth === undefined ? 1 : Number(nth);
  if (extra !== undefined || !Number.isInteger(n) || n < 1) {
    throw new ConfigError(
      `ACCORD_CRASH_POINTS: "${spec}": the count after @ must be a whole number from 1`,
    );
  }
  return { name: name as CrashPointName, nth: n };
}

/** Counts hits and kills the process at the configured one. */
export class CrashPoints {
  private readonly targets = new Map<string, number>();
  private readonly hits = new Map<string, number>();

  /** Throws a {@link ConfigError} for a spec {@link parseCrashPoint} refuses. */
  constructor(
    specs: readonly string[],
    private readonly kill: () => void = defaultKill,
  ) {
    for (const spec of specs) {
      const { name, nth } = parseCrashPoint(spec);
      this.targets.set(name, nth);
    }
  }

  /** Records a pass through `name`; kills the process if this is the configured hit. */
  hit(name: CrashPointName): void {
    const target = this.targets.get(name);
    if (target === undefined) return;
    const count = (this.hits.get(name) ?? 0) + 1;
    this.hits.set(name, count);
    if (count === target) this.kill();
  }
}

function defaultKill(): void {
  process.kill(process.pid, 'SIGKILL');
}
