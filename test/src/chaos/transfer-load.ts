/**
 * Concurrent transfer load for the chaos tests: a mix of saga, tcc and msg transfers
 * between the two banks, some refused by design. Client-side errors are expected while
 * the coordinator is down; the invariants are checked on the final state only.
 */
import type { AccordClient } from '@accord/client';
import { msgTransfer, sagaTransfer, tccTransfer } from '@accord/example-bank-transfer';
import type { BankWorld } from '../support/bank-world.js';

/** What a burst did, as the clients saw it. */
export interface BurstResult {
  readonly started: number;
  /** Requests that got an answer (any status). */
  readonly answered: number;
  /** Requests that failed on the client side (coordinator gone, refused, …). */
  readonly clientErrors: number;
}

/** Fires `count` transfers at once (mode and direction by index; every 7th is refused). */
export async function transferBurst(
  world: BankWorld,
  count: number,
  offset = 0,
  accord: AccordClient = world.accord,
): Promise<BurstResult> {
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, k) => {
      const i = k + offset;
      const forward = i % 2 === 0;
      const t = {
        from: forward ? world.alice : world.bob,
        to: forward ? world.bob : world.alice,
        amount: i % 7 === 6 ? 1_000_000 : 1 + (i % 13),
      };
      switch (i % 3) {
        case 0:
          return sagaTransfer(accord, t);
        case 1:
          return tccTransfer(accord, t);
        default:
          return msgTransfer(t);
      }
    }),
  );
  const answered = results.filter((r) => r.status === 'fulfilled').length;
  return { started: count, answered, clientErrors: count - answered };
}
