/**
 * `@accord/client/reservation`: business reservations with a delayed check. A hold is
 * placed in the caller's own local transaction together with a two-phase message that
 * falls due when the hold expires; the check asks the state the hold waits for and
 * confirms or releases it, and a periodic sweep settles any hold whose check was lost.
 *
 * @example
 * import { placeHold, holdCheckHandler, startHoldSweep } from '@accord/client/reservation';
 */
export type { Hold, HoldDecision, HoldSettler, SettleOutcome } from './types.js';
export { settleHold } from './settle.js';
export {
  placeHold,
  type HoldCheckBody,
  type MsgFactory,
  type PlaceHoldOptions,
  type PlacedHold,
} from './place-hold.js';
export { holdCheckHandler, type HoldCheckResult } from './check-handler.js';
export {
  DEFAULT_HOLD_GRACE_MS,
  startHoldSweep,
  sweepHolds,
  type HoldSweepOptions,
  type HoldSweepReport,
  type HoldSweeper,
} from './sweep.js';
