/**
 * Stuck transactions: non-terminal for longer than their mode's threshold. Nothing
 * moves them by itself; operators are told once (alert) and can list them.
 */
import type { Mode, TransactionRecord } from './protocol.js';
import { isTerminal, MODES } from './protocol.js';

/** How long a transaction of each mode may stay non-terminal before it counts as stuck, ms. */
export type StuckThresholds = Readonly<Record<Mode, number>>;

/** Per mode, the creation time before which a non-terminal transaction is stuck at `now`. */
export function stuckCutoffs(thresholds: StuckThresholds, now: number): Record<Mode, number> {
  return Object.fromEntries(MODES.map((m) => [m, now - thresholds[m]])) as Record<Mode, number>;
}

/** Whether the transaction is stuck, given the cut-offs of {@link stuckCutoffs}. */
export function isStuck(
  tx: Pick<TransactionRecord, 'status' | 'mode' | 'createdAt'>,
  cutoffs: Readonly<Record<Mode, number>>,
): boolean {
  return !isTerminal(tx.status) && tx.createdAt < cutoffs[tx.mode];
}
