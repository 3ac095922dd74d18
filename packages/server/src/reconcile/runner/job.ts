/** A reconciliation job as the runner sees it. */
import type { MismatchKind } from '../core/merge.js';
import type { ReconcileRules } from '../core/rules.js';
import type { SourceSpec } from '../sources/source.js';

/** Which records a run compares. */
export type ReconcileMode =
  /** Everything in `[now - windowMs, now)`, or everything when no window is set. */
  | 'full'
  /** Records updated since the previous complete run's window ended (a watermark). */
  | 'incremental';

/** Where each kind of mismatch is repaired: a URL called as a one-step saga. */
export type RepairTargets = Partial<Readonly<Record<MismatchKind, string>>>;

/** One reconciliation job. */
export interface ReconcileJob {
  /** Lower-case letters, digits, `-` and `_`. */
  readonly id: string;
  readonly left: SourceSpec;
  readonly right: SourceSpec;
  readonly rules: ReconcileRules;
  readonly mode: ReconcileMode;
  /** full mode: how far back the window reaches, ms (absent: from the epoch). */
  readonly windowMs?: number | undefined;
  /** A kind without a target is reported only. */
  readonly repair: RepairTargets;
}
