/**
 * Pieces several preludes share: the coordinator client and a pool on the run's schema.
 */
import pg from 'pg';
import { AccordClient } from './sdk.js';
import { onCleanup } from './prelude-hooks.js';
import { docsSetting } from './prelude-env.js';

/** A client of the live coordinator. */
export function coordinatorClient(): AccordClient {
  return new AccordClient({ url: docsSetting('coordinatorUrl') });
}

/** A pool on the run's temporary schema (`xa`: on the server that allows PREPARE). */
export function schemaPool(kind: 'plain' | 'xa' = 'plain'): pg.Pool {
  const pool = new pg.Pool({
    connectionString: docsSetting(kind === 'xa' ? 'xaPostgresUrl' : 'postgresUrl'),
    max: 4,
  });
  onCleanup(() => pool.end());
  return pool;
}

/** Creates `account (id, balance)` if missing and sets the given balances. */
export async function seedAccounts(pool: pg.Pool, balances: Record<string, number>): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS account (id text PRIMARY KEY, balance integer NOT NULL)',
  );
  for (const [id, balance] of Object.entries(balances)) {
    await pool.query(
      'INSERT INTO account (id, balance) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = $2',
      [id, balance],
    );
  }
}

/** The balance of one account. */
export async function balanceOf(pool: pg.Pool, id: string): Promise<number> {
  const { rows } = await pool.query<{ balance: number }>(
    'SELECT balance FROM account WHERE id = $1',
    [id],
  );
  return rows[0]?.balance ?? Number.NaN;
}

/** Polls `check` until it is true; throws with `what` after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`after ${timeoutMs} ms still not: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
