import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { AccordError } from '@accord/core';
import {
  createTempMysqlDatabase,
  requireService,
  uniqueName,
  type TempDatabase,
} from '@accord/testkit';
import { xaDuplicateCases } from '../../test-support/xa/duplicate-cases.js';
import { mysqlXa } from './mysql-xa.js';
import { coordinatorDecider, type RecoveryDecision } from './recover.js';
import type { XaParticipant } from './types.js';
import { mysqlXidSql, type XaBranchKey } from './xid.js';

const skip = await requireService('mariadb');
let database: TempDatabase | undefined;
let pool: mysql.Pool | undefined;
let xa: XaParticipant<mysql.PoolConnection> | undefined;
/** One format id per run, so that runs sharing the server never see each other's xids. */
const formatId = randomInt(1_000_000, 2_000_000_000);
/** A second one, standing for prepared transactions that are not this service's. */
const foreignFormatId = formatId + 1;
let clock = 1_000_000;

function db(): mysql.Pool {
  assert.ok(pool, 'pool not ready');
  return pool;
}

function helper(): XaParticipant<mysql.PoolConnection> {
  assert.ok(xa, 'helper not ready');
  return xa;
}

const branch = (branchId = '01'): XaBranchKey => ({ gid: uniqueName('gid'), branchId });

async function balance(id: string): Promise<number | undefined> {
  const [rows] = await db().query<mysql.RowDataPacket[]>(
    'SELECT balance FROM account WHERE id = ?',
    [id],
  );
  const value = rows[0]?.['balance'] as number | undefined;
  return value;
}

function credit(id: string, amount: number) {
  return (conn: mysql.PoolConnection) =>
    conn.query('INSERT INTO account (id, balance) VALUES (?, ?)', [id, amount]);
}

interface RecoverRow extends mysql.RowDataPacket {
  formatID: number;
  gtrid_length: number;
  bqual_length: number;
  data: Buffer;
}

/** This run's prepared xids (both format ids), in `XA ...` syntax. */
async function preparedHere(): Promise<string[]> {
  const [rows] = await db().query<RecoverRow[]>('XA RECOVER');
  return rows
    .filter((r) => r.formatID === formatId || r.formatID === foreignFormatId)
    .map((r) => {
      const gtrid = r.data.subarray(0, r.gtrid_length).toString('hex');
      const bqual = r.data.subarray(r.gtrid_length).toString('hex');
      return `X'${gtrid}',X'${bqual}',${r.formatID}`;
    })
    .sort();
}

/** Rolls back whatever this run left prepared (else DROP DATABASE would wait on it). */
async function cleanUp(): Promise<void> {
  for (const xid of await preparedHere()) {
    await db()
      .query(`XA ROLLBACK ${xid}`)
      .catch((error: unknown) => {
        // 1402: a read-only branch, dropped all the same.
        if ((error as { errno?: unknown }).errno !== 1402) throw error;
      });
  }
}

/** Prepares an XA transaction by hand on its own connection, which stays open. */
async function prepareByHand(
  key: XaBranchKey,
  fid: number,
  row?: string,
): Promise<mysql.Connection> {
  assert.ok(database);
  const conn = await mysql.createConnection({ uri: database.url });
  const xid = mysqlXidSql(key, fid);
  await conn.query(`XA START ${xid}`);
  if (row !== undefined) await conn.query('INSERT INTO account VALUES (?, 1)', [row]);
  await conn.query(`XA END ${xid}`);
  await conn.query(`XA PREPARE ${xid}`);
  return conn;
}

if (skip === null) {
  before(async () => {
    database = await createTempMysqlDatabase('accord_client_xa');
    pool = mysql.createPool({ uri: database.url, connectionLimit: 6 });
    await pool.query(
      'CREATE TABLE account (id varchar(200) PRIMARY KEY, balance int NOT NULL) ENGINE=InnoDB',
    );
    xa = mysqlXa(pool, { formatId, now: () => clock });
    await xa.migrate(pool);
  });
  after(async () => {
    try {
      if (pool) await cleanUp();
    } finally {
      await pool?.end();
      await database?.drop();
    }
  });

  describe('mariadb xa: local work and phase two', () => {
    test('local work is prepared and invisible until committed; a second commit is already-done', async () => {
      const key = branch();
      const value = await helper().local(key, async (conn) => {
        await credit(key.gid, 100)(conn);
        return 'worked';
      });
      assert.deepEqual(value, { applied: true, value: 'worked' });
      assert.equal(await balance(key.gid), undefined, 'not visible before phase two');
      assert.deepEqual(await preparedHere(), [mysqlXidSql(key, formatId)]);

      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 100);
      assert.deepEqual(await preparedHere(), []);
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'already-done');
    });

    test('once local resolves, any session can finish the branch at once', async () => {
      // Without waiting for the server to detach it, XA COMMIT from another, already
      // open session answers "unknown xid" right after the preparing connection closes.
      assert.ok(database);
      const other = await mysql.createConnection({ uri: database.url });
      try {
        for (let i = 0; i < 10; i += 1) {
          const key = branch();
          await helper().local(key, credit(key.gid, i));
          await other.query(`XA COMMIT ${mysqlXidSql(key, formatId)}`);
          assert.equal(await balance(key.gid), i);
        }
      } finally {
        await other.end();
      }
    });

    test('rollback discards the work; a second rollback is already-done', async () => {
      const key = branch();
      await helper().local(key, credit(key.gid, 5));
      assert.equal(await helper().phaseTwo({ ...key, op: 'rollback' }), 'rolledback');
      assert.equal(await balance(key.gid), undefined);
      assert.deepEqual(await preparedHere(), []);
      assert.equal(await helper().phaseTwo({ ...key, op: 'rollback' }), 'already-done');
    });

    test('a read-only branch commits and rolls back like any other', async () => {
      for (const op of ['commit', 'rollback'] as const) {
        const key = branch();
        const seen = await helper().local(key, async (conn) => {
          const [rows] = await conn.query<mysql.RowDataPacket[]>(
            'SELECT COUNT(*) AS n FROM account',
          );
          return Number(rows[0]?.['n']) >= 0;
        });
        assert.deepEqual(seen, { applied: true, value: true });
        assert.deepEqual(await preparedHere(), [mysqlXidSql(key, formatId)]);
        assert.equal(
          await helper().phaseTwo({ ...key, op }),
          op === 'commit' ? 'committed' : 'rolledback',
        );
        assert.deepEqual(await preparedHere(), []);
        assert.equal(await helper().phaseTwo({ ...key, op }), 'already-done');
      }
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

    test('a branch still held by its live session is not mistaken for done', async () => {
      const key = branch();
      const holder = await prepareByHand(key, formatId, key.gid);
      try {
        const impatient = mysqlXa(db(), { formatId, detachTimeoutMs: 100 });
        await assert.rejects(impatient.phaseTwo({ ...key, op: 'commit' }), /still held/);
        assert.deepEqual(await preparedHere(), [mysqlXidSql(key, formatId)]);
        // A patient phase two waits for the holder to go away, then commits.
        const patient = helper().phaseTwo({ ...key, op: 'commit' });
        await holder.end();
        assert.equal(await patient, 'committed');
        assert.equal(await balance(key.gid), 1);
      } finally {
        await holder.end().catch(() => undefined);
      }
    });

    test('work that throws leaves nothing prepared and its error comes back as is', async () => {
      const key = branch();
      const boom = new Error('business says no');
      await assert.rejects(
        helper().local(key, async (conn) => {
          await credit(key.gid, 1)(conn);
          throw boom;
        }),
        (error: unknown) => error === boom,
      );
      assert.deepEqual(await preparedHere(), []);
      assert.equal(await balance(key.gid), undefined);
      // The branch id is free again: the same branch can be prepared afterwards.
      await helper().local(key, credit(key.gid, 2));
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 2);
    });

    test('a branch prepared outside the ledger counts as prepared: a call runs nothing', async () => {
      const key = branch();
      const holder = await prepareByHand(key, formatId, key.gid);
      await holder.end();
      assert.deepEqual(await helper().local(key, credit(`${key.gid}-again`, 8)), {
        applied: false,
        reason: 'duplicate',
        state: 'prepared',
      });
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 1);
      assert.equal(await balance(`${key.gid}-again`), undefined);
    });

    test('phase two after the participant restarted (old pool ended, new pool)', async () => {
      assert.ok(database);
      const key = branch();
      const before = mysql.createPool({ uri: database.url, connectionLimit: 1 });
      await mysqlXa(before, { formatId }).local(key, credit(key.gid, 42));
      await before.end();

      const after = mysql.createPool({ uri: database.url, connectionLimit: 1 });
      try {
        const restarted = mysqlXa(after, { formatId });
        assert.deepEqual(
          (await restarted.preparedXids()).map((b) => [b.gid, b.branchId]),
          [[key.gid, key.branchId]],
        );
        assert.equal(await restarted.phaseTwo({ ...key, op: 'commit' }), 'committed');
      } finally {
        await after.end();
      }
      assert.equal(await balance(key.gid), 42);
    });

    test('ids with quotes and non-ASCII are safe', async () => {
      const key = { gid: `${uniqueName('g')}'); DROP TABLE account; --`, branchId: 'ä,b/ç' };
      await helper().local(key, credit(key.gid, 3));
      const found = (await helper().preparedXids()).find((b) => b.gid === key.gid);
      assert.equal(found?.branchId, key.branchId);
      assert.equal(await helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await balance(key.gid), 3);
    });

    test('other ops and over-long ids are refused before touching the database', async () => {
      await assert.rejects(helper().phaseTwo({ ...branch(), op: 'cancel' }), {
        code: 'INVALID_REQUEST',
      });
      await assert.rejects(
        helper().local({ gid: 'é'.repeat(33), branchId: '01' }, credit('never', 1)),
        { code: 'INVALID_REQUEST', message: /^gid: must be at most 64 bytes .* it is 66$/ },
      );
      assert.equal(await balance('never'), undefined);
    });
  });

  describe('mariadb xa: recovery', () => {
    test('finishes orphans as decided, once per gid, and leaves foreign ones alone', async () => {
      const commit = branch();
      const commit2 = { gid: commit.gid, branchId: '02' };
      const rollback = branch();
      const wait = branch();
      const broken = branch();
      for (const key of [commit, commit2, rollback, wait, broken]) {
        await helper().local(key, credit(`${key.gid}:${key.branchId}`, 1));
      }
      const foreign = branch();
      await (await prepareByHand(foreign, foreignFormatId, foreign.gid)).end();

      const asked: string[] = [];
      const report = await helper().recover(async (gid) => {
        asked.push(gid);
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
      assert.deepEqual(
        [...report.committed].sort((a, b) => a.branchId.localeCompare(b.branchId)),
        [commit, commit2],
      );
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
        await preparedHere(),
        [
          mysqlXidSql(wait, formatId),
          mysqlXidSql(broken, formatId),
          mysqlXidSql(foreign, foreignFormatId),
        ].sort(),
      );
      await cleanUp();
    });

    test('an unknown gid is rolled back only once older than the grace period', async () => {
      const orphan = branch();
      const open = branch();
      await helper().local(orphan, credit(orphan.gid, 1));
      await helper().local(open, credit(open.gid, 1));
      const coordinator = {
        async query(gid: string) {
          if (gid === open.gid) return { transaction: { status: 'prepared' as const } };
          throw new AccordError('TRANSACTION_NOT_FOUND', `no transaction ${gid}`);
        },
      };
      const decide = coordinatorDecider(coordinator, { graceMs: 60_000 });

      const first = await helper().recover(decide);
      assert.equal(first.waiting.length, 2, 'first sighting: age 0');
      clock += 59_000;
      const second = await helper().recover(decide);
      assert.equal(second.waiting.length, 2, 'still within the grace period');
      assert.deepEqual(
        (await helper().preparedXids()).map((b) => b.ageMs),
        [59_000, 59_000],
      );
      clock += 2_000;
      const third = await helper().recover(decide);
      assert.deepEqual(third.rolledBack, [orphan]);
      assert.deepEqual(third.waiting, [open]);
      assert.equal(await balance(orphan.gid), undefined);
      await helper().phaseTwo({ ...open, op: 'rollback' });
      assert.deepEqual(await preparedHere(), []);
    });
  });
  xaDuplicateCases<mysql.PoolConnection>('mariadb', () => ({
    helper: (options) => mysqlXa(db(), { formatId, ...options }),
    restarted() {
      assert.ok(database);
      const fresh = mysql.createPool({ uri: database.url, connectionLimit: 2 });
      return { xa: mysqlXa(fresh, { formatId }), end: () => fresh.end() };
    },
    async open(account, amount) {
      await db().query('INSERT INTO account (id, balance) VALUES (?, ?)', [account, amount]);
    },
    async debit(conn, account, amount) {
      await conn.query('UPDATE account SET balance = balance - ? WHERE id = ?', [amount, account]);
    },
    balance,
    async holdRow(account) {
      const conn = await db().getConnection();
      await conn.beginTransaction();
      await conn.query('SELECT 1 FROM account WHERE id = ? FOR UPDATE', [account]);
      return async () => {
        await conn.commit();
        conn.release();
      };
    },
    async prepared() {
      return (await helper().preparedXids()).map(({ gid, branchId }) => ({ gid, branchId }));
    },
    withoutLedger: () => mysqlXa(db(), { formatId, table: 'accord_no_such_ledger' }),
  }));
} else {
  test('mariadb xa', (t) => t.skip(skip));
}
