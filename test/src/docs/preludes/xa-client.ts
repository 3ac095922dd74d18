/**
 * Context of the README's XA client block: a coordinator client and two stand-in
 * participants (stock, wallet) that accept every call. Checks that each got its local
 * call and its commit.
 */
import { afterBlock } from '../prelude-hooks.js';
import { coordinatorClient, eventually } from '../prelude-common.js';
import { startStandIn, type StandIn } from '../stand-in.js';

/** A client of the live coordinator. */
export const accord = coordinatorClient();
const stockService = await startStandIn();
const walletService = await startStandIn();
/** Base URL of the stock service. */
export const stock = stockService.url;
/** Base URL of the wallet service. */
export const wallet = walletService.url;
/** What the stock branch reserves. */
export const item = { sku: 'book-1', quantity: 1 };
/** What the wallet branch debits. */
export const charge = { user: 'u1', amount: 25 };

function committed(service: StandIn, local: string): boolean {
  const seen = service.calls.map((c) => `${c.op} ${c.path}`);
  return seen.includes(`try ${local}`) && seen.includes('commit /xa/2pc');
}

afterBlock(() =>
  eventually(
    () => committed(stockService, '/xa/reserve') && committed(walletService, '/xa/debit'),
    'both branches ran their local work and were committed',
  ),
);
