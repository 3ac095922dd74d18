/**
 * The one place where a hold is settled, shared by the delayed check and the sweep, so the
 * two can never disagree on what a decision means.
 */
import type { Hold, HoldSettler, SettleOutcome } from './types.js';

/**
 * Asks the settler's `decide` and applies the answer: `confirm` or `release`, or nothing
 * when the decision is `wait`.
 *
 * @example
 * await settleHold(settler, hold); // 'confirmed' | 'released' | 'waiting'
 */
export async function settleHold<P>(
  settler: HoldSettler<P>,
  hold: Hold<P>,
): Promise<SettleOutcome> {
  const decision = await settler.decide(hold);
  switch (decision) {
    case 'confirm':
      await settler.confirm(hold);
      return 'confirmed';
    case 'release':
      await settler.release(hold);
      return 'released';
    case 'wait':
      return 'waiting';
    default:
      throw new TypeError(
        `decide() answered ${JSON.stringify(decision)} for hold ${hold.key}; expected confirm, release or wait`,
      );
  }
}
