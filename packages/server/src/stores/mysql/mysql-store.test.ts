import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import {
  createTempMysqlDatabase,
  requireService,
  waitFor,
  type TempDatabase,
} from '@accord/testkit';
import {
  T,
  mustGet,
  sagaSnapshot,
  seed,
  storeConformance,
  writeAll,
  writeOf,
} from '@accord/store-conformance';
import { MYSQL_MIGRATIONS, migrationStatements } from './mysql-migrations.js';
import { MysqlStore } from './mysql-store.js';

const skip = await requireService('mariadb');

/** Rows of a query on a plain connection, as unknown values. */
async function rowsOf(c: mysql.Connection, sql: string, params: unknown[] = []) {
  const [rows] = await c.query<mysql.RowDataPacket[]>(sql, params);
  return rows as Record<string, unknown>[];
}

/** Runs `work` on a fresh, migrated store in a database of its own, then drops it. */
async function withDatabase(
  work: (store: MysqlStore, db: TempDatabase) => Promise<void>,
): Promise<void> {
  const db = await createTempMysqlDatabase('accord_store');
  const store = new MysqlStore({ url: db.url });
  try {
    await store.migrate();
    await work(store, db);
  } finally {
    await store.close();
    await db.drop();
  }
}

describe('mysql store', { skip: skip ?? false }, () => {
  storeConformance('mariadb', async () => {
    const db = await createTempMysqlDatabase('accord_store');
    const stores = [new MysqlStore({ url: db.url })];
    return {
      store: stores[0] as MysqlStore,
      openAnother() {
        const another = new MysqlStore({ url: db.url });
        stores.push(another);
        return Promise.resolve(another);
      },
      async cleanup() {
        for (const store of stores) await store.close();
        await db.drop();
      },
    };
  });

  it('creates InnoDB tables with binary-collated keys and records every migration', () =>
    withDatabase(async (_store, db) => {
      const c = await mysql.createConnection({ uri: db.url });
      try {
        const tables = await rowsOf(
          c,
          `SELECT table_name AS name, engine, table_collation AS collation
           FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name`,
          [db.database],
        );
        assert.deepEqual(
          tables.map((t) => [t['name'], t['engine'], t['collation']]),
          [
            ['accord_attempts', 'InnoDB', 'utf8mb4_bin'],
            ['accord_branch_ops', 'InnoDB', 'utf8mb4_bin'],
            ['accord_kv', 'InnoDB', 'utf8mb4_bin'],
            ['accord_migrations', 'InnoDB', 'utf8mb4_bin'],
            ['accord_row_locks', 'InnoDB', 'utf8mb4_bin'],
            ['accord_transactions', 'InnoDB', 'utf8mb4_bin'],
          ],
        );
        const keys = await rowsOf(
          c,
          `SELECT DISTINCT collation_name AS collation FROM information_schema.columns
           WHERE table_schema = ? AND column_name IN ('gid', 'branch_id', 'op')`,
          [db.database],
        );
        assert.deepEqual(
          keys.map((k) => k['collation']),
          ['utf8mb4_bin'],
        );
        const versions = await rowsOf(c, 'SELECT version FROM accord_migrations ORDER BY version');
        assert.deepEqual(
          versions.map((v) => v['version']),
          [1, 2, 3, 4, 5],
        );
      } finally {
        await c.end();
      }
    }));

  it('splits every migration into single statements', () => {
    const counts = MYSQL_MIGRATIONS.map((m) => migrationStatements(m.sql).length);
    assert.deepEqual(counts, [3, 1, 1, 1, 2]);
    for (const m of MYSQL_MIGRATIONS) {
      for (const statement of migrationStatements(m.sql)) assert.ok(!statement.endsWith(';'));
    }
  });

  it('round-trips BIGINT times and fences up to the largest safe integer', () =>
    withDatabase(async (store) => {
      const big = Number.MAX_SAFE_INTEGER;
      const snap = sagaSnapshot('big-1');
      const tx = { ...snap.tx, leaseOwner: 'o', leaseUntil: big, fence: big - 1, deadlineAt: big };
      await seed(store, tx, snap.ops);
      assert.deepEqual(await store.get('big-1'), { tx, ops: snap.ops });
    }));

  it('opens from mariadb:// URLs and from connection options alike', () =>
    withDatabase(async (store, db) => {
      const snap = sagaSnapshot('open-1');
      await seed(store, snap.tx, snap.ops);
      const url = new URL(db.url);
      const byScheme = new MysqlStore({ url: db.url.replace(/^mysql:/, 'mariadb:') });
      const byOptions = new MysqlStore({
        connection: {
          host: url.hostname,
          port: Number(url.port || 3306),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          database: db.database,
        },
      });
      try {
        assert.deepEqual(await byScheme.get('open-1'), snap);
        assert.deepEqual(await byOptions.get('open-1'), snap);
      } finally {
        await byScheme.close();
        await byOptions.close();
      }
    }));

  it('batches writing the same rows in opposite orders all apply (no deadlock escapes)', () =>
    withDatabase(async (store) => {
      const gids = Array.from({ length: 6 }, (_, i) => `dl-${i}`);
      const snaps = gids.map((gid) => sagaSnapshot(gid, T, { owner: 'o', until: T + 60_000 }));
      for (const s of snaps) await seed(store, s.tx, s.ops);
      const batch = (n: number, reverse: boolean) => {
        const order = reverse ? [...snaps].reverse() : snaps;
        return order.map((s) => writeOf(s.tx, 1, { updatedAt: T + n }));
      };
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, n) => writeAll(store, batch(n, n % 2 === 1))),
      );
      for (const r of results)
        assert.deepEqual(
          r,
          gids.map(() => true),
        );
    }));

  it('a batch picked as deadlock victim is rolled back and run again whole', () =>
    withDatabase(async (store, db) => {
      const lease = { owner: 'o', until: T + 60_000 };
      const [a, b] = ['victim-a', 'victim-b'].map((gid) => sagaSnapshot(gid, T, lease));
      assert.ok(a && b);
      for (const s of [a, b]) await seed(store, s.tx, s.ops);
      const heavy = Array.from({ length: 5 }, (_, i) => sagaSnapshot(`victim-x${i}`));
      for (const s of heavy) await seed(store, s.tx, s.ops);
      const other = await mysql.createConnection({ uri: db.url });
      const watcher = await mysql.createConnection({ uri: db.url });
      try {
        // The other session changes more rows, so InnoDB rolls the store's batch back.
        // READ COMMITTED: a scan keeps locks only on the rows it changes, not on victim-a.
        await other.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await other.query('START TRANSACTION');
        await other.query(`UPDATE accord_transactions SET reason = 'other' WHERE gid IN (?)`, [
          ['victim-b', ...heavy.map((s) => s.tx.gid)],
        ]);
        const written = writeAll(store, [
          writeOf(a.tx, 1, { reason: 'store' }),
          writeOf(b.tx, 1, { reason: 'store' }),
        ]);
        await waitFor(
          async () => {
            const waiting = await rowsOf(
              watcher,
              `SELECT COUNT(*) AS n FROM information_schema.processlist
               WHERE db = DATABASE() AND command = 'Query' AND info LIKE '%victim-b%'`,
            );
            return Number(waiting[0]?.['n']) > 0;
          },
          { what: 'the batch to wait for victim-b' },
        );
        // The batch holds victim-a (its statements run in gid order) and waits for victim-b:
        // this closes the cycle. It can only succeed once the batch has been rolled back.
        await other.query(`UPDATE accord_transactions SET reason = 'other' WHERE gid = 'victim-a'`);
        await other.query('COMMIT');
        assert.deepEqual(await written, [true, true]);
        assert.equal((await mustGet(store, 'victim-a')).tx.reason, 'store');
        assert.equal((await mustGet(store, 'victim-b')).tx.reason, 'store');
      } finally {
        await other.end();
        await watcher.end();
      }
    }));
});
