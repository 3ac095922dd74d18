import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTempSchema, requireService, type TempSchema } from '@accord/testkit';
import {
  barrierConformance,
  freshGid,
  type BarrierHarness,
} from '../../test-support/barrier-conformance.js';
import { pgBarrier, type PgQueryable } from './pg-barrier.js';
import type { BarrierContext, BarrierResult } from './types.js';

const skip = await requireService('postgres');
const barrier = pgBarrier();
let schema: TempSchema | undefined;
let pool: pg.Pool | undefined;
let harness: BarrierHarness | undefined;

function db(): pg.Pool {
  assert.ok(pool, 'pool not ready');
  return pool;
}

async function ledgerWrite(tx: PgQueryable, ctx: BarrierContext): Promise<number> {
  const result = await tx.query('INSERT INTO ledger (gid, branch_id, op) VALUES ($1, $2, $3)', [
    ctx.gid,
    ctx.branchId,
    ctx.op,
  ]);
  return result.rowCount ?? 0;
}

/** Runs `fn` inside BEGIN/COMMIT on one pooled connection (ROLLBACK on error). */
async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db().connect();
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (skip === null) {
  before(async () => {
    schema = await createTempSchema('accord_client_barrier');
    pool = new pg.Pool({ connectionString: schema.url, max: 8 });
    await Promise.all([barrier.migrate(pool), barrier.migrate(pool)]);
    await barrier.migrate(pool);
    await pool.query('CREATE TABLE ledger (gid text, branch_id text, op text)');
    harness = {
      call: (ctx, { steps = 1, fail = false } = {}) =>
        inTransaction(async (client) => {
          const results: BarrierResult<unknown>[] = [];
          for (let i = 0; i < steps; i += 1) {
            results.push(
              await barrier.run(client, ctx, async (tx) => {
                const n = await ledgerWrite(tx, ctx);
                if (fail && i === steps - 1) throw new Error('business failed');
                return n;
              }),
            );
          }
          return results;
        }),
      async applied(gid, op) {
        const { rows } = await db().query<{ n: number }>(
          'SELECT count(*)::int AS n FROM ledger WHERE gid = $1 AND op = $2',
          [gid, op],
        );
        return rows[0]?.n ?? 0;
      },
      produce: (gid) =>
        inTransaction(async (client) => {
          await ledgerWrite(client, { gid, branchId: '00', op: 'action' });
          await barrier.msg(client, gid);
        }),
      checkPrepared: (gid) => barrier.checkPrepared(db(), gid),
    };
  });
  after(async () => {
    await pool?.end();
    await schema?.drop();
  });

  barrierConformance('postgres', () => {
    assert.ok(harness);
    return harness;
  });

  describe('postgres barrier under concurrency', () => {
    test('two connections racing the same delivery apply it once', async () => {
      const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
      // Each delivery is a request of its own, with its own context object: a shared one
      // would number the later runs' barrier ids 02, 03 once the first run completed.
      const deliver = () =>
        inTransaction((client) =>
          barrier.run(client, { ...ctx }, async (tx) => {
            const n = await ledgerWrite(tx, ctx);
            await sleep(100); // hold the barrier row uncommitted while the other one arrives
            return n;
          }),
        );
      const results = await Promise.all([deliver(), deliver(), deliver()]);
      assert.deepEqual(results.filter((r) => r.applied).length, 1);
      assert.deepEqual(
        results.filter((r) => !r.applied),
        [
          { applied: false, reason: 'duplicate' },
          { applied: false, reason: 'duplicate' },
        ],
      );
      const { rows } = await db().query('SELECT count(*)::int AS n FROM ledger WHERE gid = $1', [
        ctx.gid,
      ]);
      assert.deepEqual(rows, [{ n: 1 }]);
    });

    test('a cancel arriving while its try is still open waits, then compensates it', async () => {
      const gid = freshGid();
      let tryStarted!: () => void;
      const started = new Promise<void>((r) => (tryStarted = r));
      const tryCall = inTransaction((client) =>
        barrier.run(client, { gid, branchId: '01', op: 'try' }, async (tx) => {
          tryStarted();
          await sleep(150);
          return ledgerWrite(tx, { gid, branchId: '01', op: 'try' });
        }),
      );
      await started;
      const cancel = inTransaction((client) =>
        barrier.run(client, { gid, branchId: '01', op: 'cancel' }, (tx) =>
          ledgerWrite(tx, { gid, branchId: '01', op: 'cancel' }),
        ),
      );
      assert.equal((await tryCall).applied, true);
      assert.equal((await cancel).applied, true, 'not mistaken for an empty compensation');
    });

    test('msg: a check-back waits for the open producer transaction, then sees its commit', async () => {
      const gid = freshGid();
      const producer = await db().connect();
      try {
        await producer.query('BEGIN');
        await barrier.msg(producer, gid);
        const check = barrier.checkPrepared(db(), gid);
        await sleep(100);
        await producer.query('COMMIT');
        assert.equal(await check, 'committed');
      } finally {
        producer.release();
      }
    });

    test('msg: a check-back while the producer rolls back answers rolledback', async () => {
      const gid = freshGid();
      const producer = await db().connect();
      try {
        await producer.query('BEGIN');
        await barrier.msg(producer, gid);
        const check = barrier.checkPrepared(db(), gid);
        await sleep(100);
        await producer.query('ROLLBACK');
        assert.equal(await check, 'rolledback');
      } finally {
        producer.release();
      }
    });
  });

  describe('postgres barrier specifics', () => {
    test('a custom, schema-qualified table name', async () => {
      assert.ok(schema);
      const custom = pgBarrier({ table: `${schema.schema}.my_barrier` });
      await custom.migrate(db());
      const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
      const r = await inTransaction((c) => custom.run(c, ctx, () => 'ok'));
      assert.deepEqual(r, { applied: true, value: 'ok' });
    });

    test('an invalid table name is refused', () => {
      assert.throws(() => pgBarrier({ table: 'x; drop table y' }), { code: 'INVALID_REQUEST' });
    });
  });
} else {
  test('postgres barrier', (t) => t.skip(skip));
}
