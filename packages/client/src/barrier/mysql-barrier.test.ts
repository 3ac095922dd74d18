import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { createTempMysqlDatabase, requireService, type TempDatabase } from '@accord/testkit';
import {
  barrierConformance,
  freshGid,
  type BarrierHarness,
} from '../../test-support/barrier-conformance.js';
import { mysqlBarrier, type MysqlQueryable } from './mysql-barrier.js';
import type { BarrierContext, BarrierResult } from './types.js';

const skip = await requireService('mariadb');
const barrier = mysqlBarrier();
let database: TempDatabase | undefined;
let pool: mysql.Pool | undefined;
let harness: BarrierHarness | undefined;

function db(): mysql.Pool {
  assert.ok(pool, 'pool not ready');
  return pool;
}

async function ledgerWrite(tx: MysqlQueryable, ctx: BarrierContext): Promise<number> {
  const [header] = await tx.query('INSERT INTO ledger (gid, branch_id, op) VALUES (?, ?, ?)', [
    ctx.gid,
    ctx.branchId,
    ctx.op,
  ]);
  return (header as mysql.ResultSetHeader).affectedRows;
}

async function count(sql: string, values: unknown[]): Promise<number> {
  const [rows] = await db().query<mysql.RowDataPacket[]>(sql, values);
  return Number(rows[0]?.['n'] ?? 0);
}

/** Runs `fn` inside beginTransaction/commit on one pooled connection (rollback on error). */
async function inTransaction<T>(
  fn: (conn: mysql.PoolConnection) => Promise<T>,
  begin?: string,
): Promise<T> {
  const conn = await db().getConnection();
  try {
    if (begin === undefined) await conn.beginTransaction();
    else await conn.query(begin);
    const value = await fn(conn);
    await conn.commit();
    return value;
  } catch (error) {
    await conn.rollback();
    throw error;
  } finally {
    conn.release();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (skip === null) {
  before(async () => {
    database = await createTempMysqlDatabase('accord_client_barrier');
    pool = mysql.createPool({ uri: database.url, connectionLimit: 8 });
    await Promise.all([barrier.migrate(pool), barrier.migrate(pool)]);
    await barrier.migrate(pool);
    await pool.query(
      'CREATE TABLE ledger (gid varchar(128), branch_id varchar(64), op varchar(16)) ENGINE=InnoDB',
    );
    harness = {
      call: (ctx, { steps = 1, fail = false } = {}) =>
        inTransaction(async (conn) => {
          const results: BarrierResult<unknown>[] = [];
          for (let i = 0; i < steps; i += 1) {
            results.push(
              await barrier.run(conn, ctx, async (tx) => {
                const n = await ledgerWrite(tx, ctx);
                if (fail && i === steps - 1) throw new Error('business failed');
                return n;
              }),
            );
          }
          return results;
        }),
      applied: (gid, op) =>
        count('SELECT count(*) AS n FROM ledger WHERE gid = ? AND op = ?', [gid, op]),
      produce: (gid) =>
        inTransaction(async (conn) => {
          await ledgerWrite(conn, { gid, branchId: '00', op: 'action' });
          await barrier.msg(conn, gid);
        }),
      checkPrepared: (gid) => barrier.checkPrepared(db(), gid),
    };
  });
  after(async () => {
    await pool?.end();
    await database?.drop();
  });

  barrierConformance('mysql', () => {
    assert.ok(harness);
    return harness;
  });

  describe('mysql barrier under concurrency', () => {
    test('three connections racing the same delivery apply it once', async () => {
      const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
      // Each delivery is a request of its own, with its own context object: a shared one
      // would number the later runs' barrier ids 02, 03 once the first run completed.
      const deliver = () =>
        inTransaction((conn) =>
          barrier.run(conn, { ...ctx }, async (tx) => {
            const n = await ledgerWrite(tx, ctx);
            await sleep(100); // hold the barrier row uncommitted while the others arrive
            return n;
          }),
        );
      const results = await Promise.all([deliver(), deliver(), deliver()]);
      assert.equal(results.filter((r) => r.applied).length, 1);
      assert.deepEqual(
        results.filter((r) => !r.applied),
        [
          { applied: false, reason: 'duplicate' },
          { applied: false, reason: 'duplicate' },
        ],
      );
      assert.equal(await count('SELECT count(*) AS n FROM ledger WHERE gid = ?', [ctx.gid]), 1);
    });

    test('a cancel arriving while its try is still open waits, then compensates it', async () => {
      const gid = freshGid();
      let tryStarted!: () => void;
      const started = new Promise<void>((r) => (tryStarted = r));
      const tryCall = inTransaction((conn) =>
        barrier.run(conn, { gid, branchId: '01', op: 'try' }, async (tx) => {
          tryStarted();
          await sleep(150);
          return ledgerWrite(tx, { gid, branchId: '01', op: 'try' });
        }),
      );
      await started;
      const cancel = inTransaction((conn) =>
        barrier.run(conn, { gid, branchId: '01', op: 'cancel' }, (tx) =>
          ledgerWrite(tx, { gid, branchId: '01', op: 'cancel' }),
        ),
      );
      assert.equal((await tryCall).applied, true);
      assert.equal((await cancel).applied, true, 'not mistaken for an empty compensation');
    });

    test('a try whose REPEATABLE READ snapshot predates its cancel still reads "hanging"', async () => {
      const gid = freshGid();
      const ctx = { gid, branchId: '01', op: 'try' } as const;
      const result = await inTransaction(async (conn) => {
        await conn.query('SELECT count(*) FROM ledger'); // the snapshot is taken here
        const cancel = await inTransaction((other) =>
          barrier.run(other, { ...ctx, op: 'cancel' }, () => 0),
        );
        assert.deepEqual(cancel, { applied: false, reason: 'empty-compensation' });
        return barrier.run(conn, ctx, (tx) => ledgerWrite(tx, ctx));
      }, 'START TRANSACTION WITH CONSISTENT SNAPSHOT');
      assert.deepEqual(result, { applied: false, reason: 'hanging' });
    });

    test('msg: a check-back waits for the open producer transaction, then sees its commit', async () => {
      const gid = freshGid();
      const producer = await db().getConnection();
      try {
        await producer.beginTransaction();
        await barrier.msg(producer, gid);
        let answered = false;
        const check = barrier.checkPrepared(db(), gid).finally(() => (answered = true));
        await sleep(150);
        assert.equal(answered, false, 'the check-back is blocked on the producer');
        await producer.commit();
        assert.equal(await check, 'committed');
      } finally {
        producer.release();
      }
    });

    test('msg: a check-back while the producer rolls back answers rolledback', async () => {
      const gid = freshGid();
      const producer = await db().getConnection();
      try {
        await producer.beginTransaction();
        await barrier.msg(producer, gid);
        const check = barrier.checkPrepared(db(), gid);
        await sleep(100);
        await producer.rollback();
        assert.equal(await check, 'rolledback');
      } finally {
        producer.release();
      }
      await assert.rejects(
        inTransaction((conn) => barrier.msg(conn, gid)),
        { code: 'ER_DUP_ENTRY' },
        'the late producer loses to the durable marker',
      );
    });
  });

  describe('mysql barrier specifics', () => {
    test('checkPrepared inside an open transaction is refused, not answered', async () => {
      const gid = freshGid();
      const conn = await db().getConnection();
      try {
        await conn.beginTransaction();
        await assert.rejects(barrier.checkPrepared(conn, gid), /autocommit/);
        await conn.rollback();
      } finally {
        conn.release();
      }
      assert.equal(await barrier.checkPrepared(db(), gid), 'rolledback');
    });

    test('a key too long for its column is refused rather than truncated', async () => {
      const long = 'g'.repeat(129);
      await assert.rejects(
        inTransaction((conn) =>
          barrier.run(conn, { gid: long, branchId: '01', op: 'action' }, () => 1),
        ),
        { code: 'INVALID_REQUEST', message: /gid: must be at most 128 characters/ },
      );
      await assert.rejects(barrier.checkPrepared(db(), long), { code: 'INVALID_REQUEST' });
      const ok = 'é'.repeat(128); // characters, not bytes
      const r = await inTransaction((conn) =>
        barrier.run(conn, { gid: ok, branchId: '01', op: 'action' }, () => 1),
      );
      assert.deepEqual(r, { applied: true, value: 1 });
    });

    test('gids differing in case are distinct; a trailing space (PAD SPACE) is refused', async () => {
      const gid = `${freshGid()}-Case`;
      const run = (g: string) =>
        inTransaction((conn) =>
          barrier.run(conn, { gid: g, branchId: '01', op: 'action' }, () => 1),
        );
      assert.equal((await run(gid)).applied, true);
      assert.equal((await run(gid.toLowerCase())).applied, true);
      await assert.rejects(run(`${gid} `), {
        code: 'INVALID_REQUEST',
        message: /gid: must not end with a space/,
      });
    });

    test('the table has the documented columns, key and collation', async () => {
      const [columns] = await db().query<mysql.RowDataPacket[]>(
        `SELECT column_name AS name, column_key AS k, collation_name AS c
           FROM information_schema.columns
          WHERE table_schema = DATABASE() AND table_name = 'accord_barrier'
          ORDER BY ordinal_position`,
      );
      assert.deepEqual(
        columns.map((c) => c['name'] as string),
        ['gid', 'branch_id', 'op', 'barrier_id', 'reason', 'created_at'],
      );
      assert.deepEqual(
        columns.filter((c) => c['k'] === 'PRI').map((c) => c['name'] as string),
        ['gid', 'branch_id', 'op', 'barrier_id'],
      );
      assert.equal(columns[0]?.['c'], 'utf8mb4_bin');
    });

    test('a custom, database-qualified table name', async () => {
      assert.ok(database);
      const custom = mysqlBarrier({ table: `${database.database}.my_barrier` });
      await custom.migrate(db());
      const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
      const r = await inTransaction((c) => custom.run(c, ctx, () => 'ok'));
      assert.deepEqual(r, { applied: true, value: 'ok' });
    });

    test('an invalid table name is refused', () => {
      assert.throws(() => mysqlBarrier({ table: 'x; drop table y' }), { code: 'INVALID_REQUEST' });
    });
  });
} else {
  test('mysql barrier', (t) => t.skip(skip));
}
