/**
 * Context of the README's TCC block: a coordinator client and two stand-in banks that
 * accept every call. Checks that each bank saw its try (from the client) and its confirm
 * (from the coordinator).
 */
import { afterBlock } from '../prelude-hooks.js';
import { coordinatorClient } from '../prelude-common.js';
import { startStandIn, type StandIn } from '../stand-in.js';

/** A client of the live coordinator. */
export const accord = coordinatorClient();
const a = await startStandIn();
const b = await startStandIn();
/** Base URL of bank A. */
export const bankA = a.url;
/** Base URL of bank B. */
export const bankB = b.url;

function expectCalls(name: string, standIn: StandIn, wanted: readonly string[]): void {
  const seen = standIn.calls.map((c) => `${c.op} ${c.path}`);
  for (const call of wanted) {
    if (!seen.includes(call))
      throw new Error(`${name} never got "${call}"; got ${seen.join(', ')}`);
  }
}

afterBlock(() => {
  expectCalls('bank A', a, ['try /hold', 'confirm /take']);
  expectCalls('bank B', b, ['try /expect', 'confirm /credit']);
});
