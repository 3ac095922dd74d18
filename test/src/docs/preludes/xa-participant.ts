/**
 * Context of the README's XA participant block: a wallet service's app and pool on a
 * PostgreSQL that allows prepared transactions, and a coordinator client. Checks that an
 * xa transaction through the block's routes debits the wallet once.
 */
import pg from 'pg';
import { afterBlock } from '../prelude-hooks.js';
import { coordinatorClient, eventually, schemaPool } from '../prelude-common.js';
import { startMiniApp } from '../mini-app.js';

export {
  accordHandler,
  coordinatorDecider,
  pgXa,
  startRecovery,
  xaLocalHandler,
  xaPhaseTwoHandler,
} from '../sdk.js';
export { pg };

/** The body of a debit. */
export interface Charge {
  user: string;
  amount: number;
}

/** A client of the live coordinator. */
export const accord = coordinatorClient();
/** The wallet's database. */
export const pool = schemaPool('xa');
await pool.query(
  'CREATE TABLE IF NOT EXISTS wallet (id text PRIMARY KEY, balance integer NOT NULL)',
);
await pool.query(
  "INSERT INTO wallet (id, balance) VALUES ('u1', 1000) ON CONFLICT (id) DO UPDATE SET balance = 1000",
);
/** The wallet service's app; the block adds its routes. */
export const app = await startMiniApp();

async function balance(): Promise<number> {
  const { rows } = await pool.query<{ balance: number }>(
    "SELECT balance FROM wallet WHERE id = 'u1'",
  );
  return rows[0]?.balance ?? Number.NaN;
}

afterBlock(async () => {
  await accord.xa(async (xa) => {
    await xa.branch({
      local: `${app.url}/xa/debit`,
      commit: `${app.url}/xa/2pc`,
      rollback: `${app.url}/xa/2pc`,
      payload: { user: 'u1', amount: 10 } satisfies Charge,
    });
  });
  await eventually(async () => (await balance()) === 990, 'the wallet was debited once');
});
