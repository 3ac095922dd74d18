/**
 * The at participant on real PostgreSQL and MariaDB: images, lock keys, phase two
 * (commit, restore, dirty write, rollback before the local commit) and the lock wait.
 * The coordinator's registration is a recorder here; the end-to-end suite uses a real one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { AccordError, type RegisterBranchRequest } from '@accord/core';
import {
  createTempMysqlDatabase,
  createTempSchema,
  requireService,
  uniqueName,
  type TempDatabase,
  type TempSchema,
} from '@accord/testkit';
import { mysqlAt } from './mysql-at.js';
import { pgAt, type AtParticipant } from './pg-at.js';
import type { AtRegistrar } from './at-engine.js';

class Recorder implements AtRegistrar {
  readonly bodies: RegisterBranchRequest[] = [];
  conflicts = 0;
  async registerBranch(_gid: string, body: RegisterBranchRequest): Promise<void> {
    if (this.conflicts > 0) {
      this.conflicts -= 1;
      throw new AccordError('LOCK_CONFLICT', 'held', {
        key: 'k',
        holderGid: 'other',
        holderBranchId: '01',
      });
    }
    this.bodies.push(body);
  }
}

interface World {
  at: AtParticipant<unknown>;
  recorder: Recorder;
  /** Rows of the test table, id → bal, read from another connection. */
  rows(): Promise<Record<string, number>>;
  /** Runs one statement outside any branch. */
  exec(sql: string): Promise<void>;
  undoCount(gid: string): Promise<number>;
  ph: (n: number) => string;
  close(): Promise<void>;
}

async function pgWorld(): Promise<World> {
  const schema: TempSchema = await createTempSchema('accord_at');
  const pool = new pg.Pool({ connectionString: schema.url, max: 4 });
  const recorder = new Recorder();
  const at = pgAt(pool, {
    accord: recorder,
    resource: 'pgdb',
    phaseTwoUrl: 'http://p/at',
    lockWaitMs: 300,
    lockRetryMs: 20,
  });
  await at.migrate();
  await pool.query('CREATE TABLE acc (id INT PRIMARY KEY, bal NUMERIC(10,2) NOT NULL)');
  return {
    at: at,
    recorder,
    async rows() {
      const { rows } = await pool.query<{ id: number; bal: string }>('SELECT id, bal FROM acc');
      return Object.fromEntries(rows.map((r) => [String(r.id), Number(r.bal)]));
    },
    exec: async (sql) => void (await pool.query(sql)),
    async undoCount(gid) {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM accord_undo_log WHERE gid = $1',
        [gid],
      );
      return Number(rows[0]?.n);
    },
    ph: (n) => `$${n}`,
    async close() {
      await pool.end();
      await schema.drop();
    },
  };
}

async function mariaWorld(): Promise<World> {
  const database: TempDatabase = await createTempMysqlDatabase('accord_at');
  const pool = mysql.createPool({ uri: database.url, connectionLimit: 4 });
  const recorder = new Recorder();
  const at = mysqlAt(pool, {
    accord: recorder,
    resource: 'mariadb',
    phaseTwoUrl: 'http://m/at',
    lockWaitMs: 300,
    lockRetryMs: 20,
  });
  await at.migrate();
  await pool.query('CREATE TABLE acc (id INT PRIMARY KEY, bal DECIMAL(10,2) NOT NULL)');
  return {
    at: at,
    recorder,
    async rows() {
      const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT id, bal FROM acc');
      return Object.fromEntries(rows.map((r) => [String(r['id']), Number(r['bal'])]));
    },
    exec: async (sql) => void (await pool.query(sql)),
    async undoCount(gid) {
      const [rows] = await pool.query<mysql.RowDataPacket[]>(
        'SELECT count(*) AS n FROM accord_undo_log WHERE gid = ?',
        [gid],
      );
      return Number(rows[0]?.['n']);
    },
    ph: () => '?',
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

const cases: [string, 'postgres' | 'mariadb', () => Promise<World>][] = [
  ['PostgreSQL', 'postgres', pgWorld],
  ['MariaDB', 'mariadb', mariaWorld],
];

for (const [label, service, make] of cases) {
  const skip = await requireService(service);
  describe(`at participant on ${label}`, { skip: skip ?? false }, () => {
    let w: World;
    before(async () => {
      w = await make();
    });
    after(async () => {
      await w?.close();
    });

    async function change(gid: string): Promise<void> {
      const p = w.ph;
      await w.at.branch({ gid, branchId: '01' }, async (tx) => {
        await tx.query(`UPDATE acc SET bal = bal - ${p(1)} WHERE id = ${p(2)}`, [30, 1]);
        await tx.query(`INSERT INTO acc (id, bal) VALUES (${p(1)}, ${p(2)})`, [3, 7]);
        await tx.query(`DELETE FROM acc WHERE id = ${p(1)}`, [2]);
      });
    }

    async function reset(): Promise<void> {
      await w.exec('DELETE FROM acc');
      await w.exec('INSERT INTO acc (id, bal) VALUES (1, 100), (2, 50)');
    }

    test('commits locally with images and lock keys; commit forgets the images', async () => {
      await reset();
      const gid = uniqueName('at-commit');
      await change(gid);
      assert.deepEqual(await w.rows(), { '1': 70, '3': 7 });
      const body = w.recorder.bodies.at(-1) as { lockKeys?: string[] };
      const resource = service === 'postgres' ? 'pgdb' : 'mariadb';
      assert.deepEqual(body.lockKeys, [
        `${resource}:acc:1`,
        `${resource}:acc:3`,
        `${resource}:acc:2`,
      ]);
      assert.equal(await w.undoCount(gid), 4, 'a header and three images');
      assert.equal(await w.at.phaseTwo({ gid, branchId: '01', op: 'commit' }), 'committed');
      assert.equal(await w.undoCount(gid), 0);
      assert.deepEqual(await w.rows(), { '1': 70, '3': 7 });
    });

    test('rollback restores every row, once', async () => {
      await reset();
      const gid = uniqueName('at-rollback');
      await change(gid);
      assert.equal(await w.at.phaseTwo({ gid, branchId: '01', op: 'rollback' }), 'rolledback');
      assert.deepEqual(await w.rows(), { '1': 100, '2': 50 });
      assert.equal(await w.at.phaseTwo({ gid, branchId: '01', op: 'rollback' }), 'already-done');
    });

    test('a dirty write is refused with the row, and nothing is restored', async () => {
      await reset();
      const gid = uniqueName('at-dirty');
      await change(gid);
      await w.exec('UPDATE acc SET bal = 1 WHERE id = 1');
      await assert.rejects(
        w.at.phaseTwo({ gid, branchId: '01', op: 'rollback' }),
        (error: unknown) => {
          assert.ok(error instanceof AccordError && error.code === 'BRANCH_FAILED');
          assert.match(error.message, /acc:1 changed since/);
          assert.match(error.message, /current=/);
          return true;
        },
      );
      assert.deepEqual(await w.rows(), { '1': 1, '3': 7 });
      assert.equal(await w.undoCount(gid), 4, 'the images stay for whoever resolves it');
    });

    test('a rollback before the local work leaves a marker that refuses it', async () => {
      await reset();
      const gid = uniqueName('at-hanging');
      assert.equal(await w.at.phaseTwo({ gid, branchId: '01', op: 'rollback' }), 'empty');
      await assert.rejects(change(gid), /already rolled back/);
      assert.deepEqual(await w.rows(), { '1': 100, '2': 50 });
    });

    test('waits on a lock conflict, then gives up and rolls back locally', async () => {
      await reset();
      w.recorder.conflicts = 2;
      await change(uniqueName('at-wait'));
      assert.deepEqual(await w.rows(), { '1': 70, '3': 7 }, 'registered at the third try');
      await reset();
      w.recorder.conflicts = 1000;
      const gid = uniqueName('at-giveup');
      await assert.rejects(change(gid), { code: 'LOCK_CONFLICT', message: /gave up after/ });
      w.recorder.conflicts = 0;
      assert.deepEqual(await w.rows(), { '1': 100, '2': 50 });
      assert.equal(await w.undoCount(gid), 0);
    });

    test('refuses a table without a primary key before running anything', async () => {
      await w.exec('CREATE TABLE nokey (v INT)');
      await assert.rejects(
        w.at.branch({ gid: uniqueName('at-nokey'), branchId: '01' }, (tx) =>
          tx.query('INSERT INTO nokey (v) VALUES (1)'),
        ),
        { name: 'AtStatementRefused', message: /no primary key/ },
      );
    });
  });
}
