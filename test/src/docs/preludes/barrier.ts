/**
 * Context of the README's barrier block: a pool, one client inside BEGIN, and the Accord
 * context of a branch call. Commits afterwards and checks the debit happened once, then
 * that the same call again changes nothing.
 */
import { afterBlock } from '../prelude-hooks.js';
import { balanceOf, schemaPool, seedAccounts } from '../prelude-common.js';
import { pgBarrier, type AccordContext } from '../sdk.js';
import { onCleanup } from '../prelude-hooks.js';

export { pgBarrier } from '../sdk.js';

/** The participant's database. */
export const pool = schemaPool();
await seedAccounts(pool, { A: 1000 });
/** One client inside the participant route's BEGIN. */
export const client = await pool.connect();
onCleanup(() => client.release());
await client.query('BEGIN');
/** The branch call being served. */
export const ctx: AccordContext = {
  gid: `docs-barrier-${Date.now().toString(36)}`,
  branchId: 'withdraw',
  op: 'action',
  mode: 'saga',
  traceparent: null,
};
/** The amount to withdraw. */
export const amount = 100;
/** The account to withdraw from. */
export const id = 'A';

afterBlock(async () => {
  await client.query('COMMIT');
  // A redelivery is a new request, so a new context object with the same headers.
  const again = await pgBarrier().run(client, { ...ctx }, () => {
    throw new Error('a duplicate call ran the business change again');
  });
  if (again.applied) throw new Error('the barrier let a duplicate through');
  const balance = await balanceOf(pool, 'A');
  if (balance !== 900) throw new Error(`account A holds ${balance}, expected 900`);
});
