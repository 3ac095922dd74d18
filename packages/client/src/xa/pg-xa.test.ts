import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTempSchema, requireService, uniqueName, type TempSchema } from '@accord/testkit';
import { xaDuplicateCases } from '../../test-support/xa/duplicate-cases.js';
import { pgXa } from './pg-xa.js';
import { xaLocalHandler, xaPhaseTwoHandler } from './xa-handler.js';
import type { AccordContext } from '../participant/context.js';
import type { RecoveryDecision } from './recover.js';
import type { XaParticipant } from './types.js';
import { pgXid, type XaBranchKey } from './xid.js';

/** Why the suite cannot run (no PostgreSQL with prepared transactions), or null. */
function preconditions(): Promise<string | null> {
  return requireService('postgresXa');
}

const skip = await preconditions();
let schema: TempSchema | undefined;
let pool: pg.Pool | undefined;
let xa: XaParticipant<pg.PoolClient> | undefined;
/** One prefix per run, so that runs sharing the server never see each other's branches. */
const prefix = uniqueName('acc').replaceAll('_', '-');
/** Identifiers of prepared transactions made outside the helper, to clean up. */
const foreign: string[] = [];

function db(): pg.Pool {
  assert.ok(pool, 'pool not ready');
  return pool;
}

function helper(): XaParticipant<pg.PoolClient> {
  assert.ok(xa, 'helper not ready');
  return xa;
}

const branch = (branchId = '01'): XaBranchKey => ({ gid: uniqueName('gid'), branchId });

async function balance(id: string): Promise<number | undefined> {
  const { rows } = await db().query<{ balance: number }>(
    'SELECT balance FROM account WHERE id = $1',
    [id],
  );
  return rows[0]?.balance;
}

function credit(id: string, amount: number) {
  return (client: pg.PoolClient) =>
    client.query('INSERT INTO account (id, balance) VALUES ($1, $2)', [id, amount]);
}

async function preparedNames(): Promise<string[]> {
  const { rows } = await db().query<{ gid: string }>(
    'SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY gid',
  );
  return rows.map((r) => r.gid).filter((g) => g.startsWith(`${prefix}`) || foreign.includes(g));
}

/** Rolls back whatever this run left prepared (else DROP SCHEMA would wait on its locks). */
async function cleanUp(): Promise<void> {
  const admin = new pg.Client({ connectionString: schema?.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ gid: string }>(
      'SELECT gid FROM pg_prepared_xacts WHERE database = current_database()',
    );
    for (const { gid } of rows) {
      if (gid.startsWith(prefix) || foreign.includes(gid)) {
        await admin.query(`ROLLBACK PREPARED '${gid}'`);
      }
    }
  } finally {
    await admin.end();
  }
}

if (skip === null) {
  before(async () => {
    schema = await createTempSchema('accord_client_xa', { service: 'postgresXa' });
    pool = new pg.Pool({ connectionString: schema.url, max: 4 });
    await pool.query('CREATE TABLE account (id text PRIMARY KEY, balance int NOT NULL)');
    xa = pgXa<pg.PoolClient>(pool, { prefix });
    await xa.migrate(pool);
  });
  after(async () => {
    try {
      if (schema) await cleanUp();
    } finally {
      await pool?.end();
      await schema?.drop();
    }
  });

  describe('postgres xa: local work and phase two', () => {
    test('local work is prepared and invisible until committed; a second commit is already-done', async () => {
      const key = branch();
      const value = await helper().local(key, async (client) => {
        await credit(key.gid, 100)(client);
        return 'worked';
      });
      assert.deepEqual(value, { applied: true, value: 'worked' });
      assert.equal(await balance(key.gid), undefined, 'not visible before phase two');
      assert.deepEqual(await preparedNames(), [pgXid(key, prefix)]);
      assert.equal(db().idleCount, db().totalCount, 'the connection went back to the pool');

      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 100);
      assert.deepEqual(await preparedNames(), []);
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'already-done');
    });

    test('rollback discards the work; a second rollback is already-done', async () => {
      const key = branch();
      await helper().local(key, credit(key.gid, 5));
      assert.equal(await helper().phaseTwo({ ...key, op: 'rollback' }), 'rolledback');
      assert.equal(await balance(key.gid), undefined);
      assert.deepEqual(await preparedNames(), []);
      assert.equal(await helper().phaseTwo({ ...key, op: 'rollback' }), 'already-done');
    });

    test('a rollback of a branch never prepared is already-done', async () => {
      const key = branch();
      assert.equal(await helper().phaseTwo({ ...key, op: 'rollback' }), 'already-done');
      assert.equal(await helper().phaseTwo({ ...key, op: 'rollback' }), 'already-done');
    });

    test('migrate is safe to repeat and to race', async () => {
      await Promise.all([helper().migrate(db()), helper().migrate(db()), helper().migrate(db())]);
      assert.match(helper().ddl, /^CREATE TABLE IF NOT EXISTS accord_barrier/);
    });

    test('a prepared branch holds its row locks until phase two', async () => {
      const key = branch();
      await db().query('INSERT INTO account (id, balance) VALUES ($1, 1)', [key.gid]);
      await helper().local(key, (client) =>
        client.query('UPDATE account SET balance = balance + 10 WHERE id = $1', [key.gid]),
      );
      const other = await db().connect();
      try {
        await other.query('BEGIN');
        await other.query("SET LOCAL lock_timeout = '200ms'");
        await assert.rejects(
          other.query('UPDATE account SET balance = 0 WHERE id = $1', [key.gid]),
          { code: '55P03' },
        );
        await other.query('ROLLBACK');
      } finally {
        other.release();
      }
      await helper().phaseTwo({ ...key, op: 'commit' });
      assert.equal(await balance(key.gid), 11);
    });

    test('work that throws leaves nothing prepared and its error comes back as is', async () => {
      const key = branch();
      const boom = new Error('business says no');
      await assert.rejects(
        helper().local(key, async (client) => {
          await credit(key.gid, 1)(client);
          throw boom;
        }),
        (error: unknown) => error === boom,
      );
      assert.deepEqual(await preparedNames(), []);
      assert.equal(await balance(key.gid), undefined);
      assert.equal(db().idleCount, db().totalCount, 'the connection went back to the pool');
      const { rows } = await db().query<{ ok: number }>('SELECT 1 AS ok');
      assert.deepEqual(rows, [{ ok: 1 }]);
    });

    test('work whose SQL error was caught is not reported as prepared', async () => {
      const key = branch();
      await assert.rejects(
        helper().local(key, async (client) => {
          await credit(key.gid, 1)(client);
          await client.query('SELECT 1 / 0').catch(() => undefined);
        }),
        /was not prepared: its transaction had already failed/,
      );
      assert.deepEqual(await preparedNames(), []);
      assert.equal(await balance(key.gid), undefined);
    });

    test('a branch prepared outside the ledger makes a second prepare fail, keeping the first', async () => {
      const key = branch();
      const client = await db().connect();
      try {
        await client.query('BEGIN');
        await credit(key.gid, 7)(client);
        await client.query(`PREPARE TRANSACTION '${pgXid(key, prefix)}'`);
      } finally {
        client.release();
      }
      await assert.rejects(
        helper().local(key, credit(`${key.gid}-again`, 8)),
        /is already prepared/,
      );
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 7);
      assert.equal(await balance(`${key.gid}-again`), undefined);
    });

    test('phase two after the participant restarted (old pool ended, new pool)', async () => {
      assert.ok(schema);
      const key = branch();
      const before = new pg.Pool({ connectionString: schema.url, max: 1 });
      await pgXa<pg.PoolClient>(before, { prefix }).local(key, credit(key.gid, 42));
      await before.end();

      const after = new pg.Pool({ connectionString: schema.url, max: 1 });
      try {
        const restarted = pgXa(after, { prefix });
        assert.deepEqual(
          (await restarted.preparedXids()).map((b) => b.branchId),
          ['01'],
          'found by the new process',
        );
        assert.equal(await restarted.phaseTwo({ ...key, op: 'commit' }), 'committed');
      } finally {
        await after.end();
      }
      assert.equal(await balance(key.gid), 42);
    });

    test('identifiers with quotes, colons and non-ASCII are safe', async () => {
      const key = { gid: `${uniqueName('g')}'; DROP TABLE account; --`, branchId: 'ä:b/ç' };
      await helper().local(key, credit(key.gid, 3));
      const found = (await helper().preparedXids()).find((b) => b.branchId === key.branchId);
      assert.equal(found?.gid, key.gid);
      assert.equal(found?.branchId, key.branchId);
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 3);
    });

    test('other ops and over-long ids are refused before touching the database', async () => {
      await assert.rejects(helper().phaseTwo({ ...branch(), op: 'confirm' }), {
        code: 'INVALID_REQUEST',
      });
      await assert.rejects(
        helper().local({ gid: 'x'.repeat(200), branchId: '01' }, credit('never', 1)),
        { code: 'INVALID_REQUEST', message: /^gid: too long .* limit is 199/ },
      );
      assert.equal(await balance('never'), undefined);
    });
  });

  describe('postgres xa: participant handlers', () => {
    const call = (key: XaBranchKey, op: AccordContext['op']): AccordContext => ({
      ...key,
      op,
      mode: 'xa',
      traceparent: null,
    });

    test('the local handler prepares the work, the phase-two handler commits it', async () => {
      const key = branch();
      const local = xaLocalHandler(helper(), async (client, body: { amount: number }, ctx) => {
        await credit(ctx.gid, body.amount)(client);
        return { held: body.amount };
      });
      const phaseTwo = xaPhaseTwoHandler(helper());
      assert.deepEqual(await local(call(key, 'try'), { amount: 9 }), { held: 9 });
      assert.equal(await balance(key.gid), undefined);
      assert.deepEqual(await local(call(key, 'try'), { amount: 9 }), { duplicate: 'prepared' });
      assert.deepEqual(await phaseTwo(call(key, 'commit'), undefined), { outcome: 'committed' });
      assert.equal(await balance(key.gid), 9);
      assert.deepEqual(await phaseTwo(call(key, 'commit'), undefined), {
        outcome: 'already-done',
      });
      assert.deepEqual(await local(call(key, 'try'), { amount: 9 }), { duplicate: 'committed' });
      assert.equal(await balance(key.gid), 9);
    });

    test('the local handler refuses anything but a try, so no new work starts', async () => {
      const key = branch();
      const local = xaLocalHandler(helper(), (client) => credit(key.gid, 1)(client));
      for (const op of ['commit', 'rollback', 'action'] as const) {
        await assert.rejects(async () => local(call(key, op), undefined), {
          code: 'INVALID_REQUEST',
        });
      }
      assert.deepEqual(await preparedNames(), []);
      assert.equal(await balance(key.gid), undefined);
    });
  });

  describe('postgres xa: recovery', () => {
    test('finishes orphans as decided, once per gid, and leaves foreign ones alone', async () => {
      const commit = branch();
      const commit2 = { gid: commit.gid, branchId: '02' };
      const rollback = branch();
      const wait = branch();
      const broken = branch();
      for (const key of [commit, commit2, rollback, wait, broken]) {
        await helper().local(key, credit(`${key.gid}:${key.branchId}`, 1));
      }
      // Not Accord's: a plain prepared transaction and one under another prefix.
      const plain = uniqueName('foreign');
      const otherPrefix = pgXid(branch(), `${prefix}x`);
      for (const name of [plain, otherPrefix]) {
        foreign.push(name);
        const client = await db().connect();
        try {
          await client.query('BEGIN');
          await client.query(`PREPARE TRANSACTION '${name}'`);
        } finally {
          client.release();
        }
      }

      const asked: string[] = [];
      const report = await helper().recover(async (gid, found) => {
        asked.push(gid);
        assert.ok(found.ageMs >= 0 && found.ageMs < 60_000, `age ${found.ageMs}`);
        const plan: Record<string, RecoveryDecision> = {
          [commit.gid]: 'commit',
          [rollback.gid]: 'rollback',
          [wait.gid]: 'wait',
        };
        const decision = plan[gid];
        if (!decision) throw new Error('coordinator unreachable');
        return decision;
      });

      assert.equal(report.found, 5);
      assert.deepEqual(asked.sort(), [commit.gid, rollback.gid, wait.gid, broken.gid].sort());
      assert.deepEqual(report.committed, [commit, commit2]);
      assert.deepEqual(report.rolledBack, [rollback]);
      assert.deepEqual(report.waiting, [wait]);
      assert.deepEqual(
        report.failed.map((f) => [f.branch, (f.error as Error).message]),
        [[broken, 'coordinator unreachable']],
      );
      assert.equal(await balance(`${commit.gid}:01`), 1);
      assert.equal(await balance(`${commit.gid}:02`), 1);
      assert.equal(await balance(`${rollback.gid}:01`), undefined);
      assert.deepEqual(
        (await preparedNames()).sort(),
        [pgXid(wait, prefix), pgXid(broken, prefix), plain, otherPrefix].sort(),
      );

      for (const key of [wait, broken]) await helper().phaseTwo({ ...key, op: 'rollback' });
      await cleanUp();
      assert.deepEqual(await preparedNames(), []);
    });
  });
  xaDuplicateCases<pg.PoolClient>('postgres', () => ({
    helper: (options) => pgXa<pg.PoolClient>(db(), { prefix, ...options }),
    restarted() {
      assert.ok(schema);
      const fresh = new pg.Pool({ connectionString: schema.url, max: 2 });
      return { xa: pgXa<pg.PoolClient>(fresh, { prefix }), end: () => fresh.end() };
    },
    async open(account, amount) {
      await db().query('INSERT INTO account (id, balance) VALUES ($1, $2)', [account, amount]);
    },
    async debit(client, account, amount) {
      await client.query('UPDATE account SET balance = balance - $2 WHERE id = $1', [
        account,
        amount,
      ]);
    },
    balance,
    async holdRow(account) {
      const client = await db().connect();
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM account WHERE id = $1 FOR UPDATE', [account]);
      return async () => {
        await client.query('COMMIT');
        client.release();
      };
    },
    async prepared() {
      return (await helper().preparedXids()).map(({ gid, branchId }) => ({ gid, branchId }));
    },
    withoutLedger: () => pgXa<pg.PoolClient>(db(), { prefix, table: 'accord_no_such_ledger' }),
  }));
} else {
  test('postgres xa', (t) => t.skip(skip));
}
