/**
 * Context of the README's two-phase message block: a producer (bank A, an app on
 * PostgreSQL with an `account` table) and a stand-in consumer (bank B). Checks that A was
 * debited in its local transaction and that B got the credit.
 */
import type pg from 'pg';
import { afterBlock } from '../prelude-hooks.js';
import {
  balanceOf,
  coordinatorClient,
  eventually,
  schemaPool,
  seedAccounts,
} from '../prelude-common.js';
import { startMiniApp } from '../mini-app.js';
import { startStandIn } from '../stand-in.js';

export { accordHandler, checkBackHandler, pgBarrier } from '../sdk.js';

/** A client of the live coordinator. */
export const accord = coordinatorClient();
/** Bank A's database. */
export const pool = schemaPool();
await seedAccounts(pool, { A: 1000 });
/** Bank A's app; the block adds its check-back route. */
export const app = await startMiniApp();
/** Base URL of bank A (the producer). */
export const bankA = app.url;
const consumer = await startStandIn();
/** Base URL of bank B (the consumer). */
export const bankB = consumer.url;
/** The transfer the message carries. */
export const transfer = { from: 'A', to: 'B', amount: 100 };

/** BEGIN … COMMIT (or ROLLBACK on a throw) around one pooled client. */
export async function inTransaction<T>(
  db: pg.Pool,
  fn: (tx: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const value = await fn(client);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

afterBlock(async () => {
  const balance = await balanceOf(pool, 'A');
  if (balance !== 900) throw new Error(`account A holds ${balance}, expected 900`);
  await eventually(
    () => consumer.calls.some((c) => c.op === 'action' && c.path === '/credit'),
    'bank B got the credit',
  );
});
