import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { ManualClock } from '@accord/core';
import { createTempMysqlDatabase, requireService, type TempDatabase } from '@accord/testkit';
import type { MysqlQueryable } from '../barrier/mysql-barrier.js';
import {
  inboxConformance,
  type InboxFixture,
  type InboxHarness,
} from '../../test-support/outbox/inbox-conformance.js';
import {
  outboxConformance,
  type OutboxFixture,
  type OutboxHarness,
  type OutboxRowView,
} from '../../test-support/outbox/outbox-conformance.js';
import { PublishRecorder } from '../../test-support/outbox/recording-publisher.js';
import { mysqlInbox } from './mysql-inbox.js';
import { mysqlOutbox } from './mysql-outbox.js';

const skip = await requireService('mariadb');
let database: TempDatabase | undefined;
let pools: [mysql.Pool, mysql.Pool] | undefined;
let tables = 0;

function db(which: 0 | 1 = 0): mysql.Pool {
  assert.ok(pools, 'pools not ready');
  return pools[which];
}

/** Runs `fn` inside beginTransaction/commit on one pooled connection (rollback on error). */
async function inTransaction<T>(fn: (conn: mysql.PoolConnection) => Promise<T>): Promise<T> {
  const conn = await db().getConnection();
  try {
    await conn.beginTransaction();
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

async function count(sql: string, values: unknown[] = []): Promise<number> {
  const [rows] = await db().query<mysql.RowDataPacket[]>(sql, values);
  return Number(rows[0]?.['n'] ?? 0);
}

const outboxHarness: OutboxHarness = {
  async open(clock): Promise<OutboxFixture> {
    tables += 1;
    const table = `outbox_${tables}`;
    const outbox = mysqlOutbox({ table, clock });
    await outbox.migrate(db());
    await db().query(`CREATE TABLE ${table}_business (topic varchar(255)) ENGINE=InnoDB`);
    return {
      produce: (messages, { fail = false } = {}) =>
        inTransaction(async (conn) => {
          const ids: string[] = [];
          for (const m of messages) {
            await conn.query(`INSERT INTO ${table}_business (topic) VALUES (?)`, [m.topic]);
            ids.push(await outbox.add(conn, m));
          }
          if (fail) throw new Error('business failed');
          return ids;
        }),
      businessRows: () => count(`SELECT count(*) AS n FROM ${table}_business`),
      relay: (options, pool = 'first') =>
        outbox.relay({ ...options, db: db(pool === 'first' ? 0 : 1) }),
      async rows() {
        const [rows] = await db().query<mysql.RowDataPacket[]>(
          `SELECT id, status, attempts, available_at, sent_at, last_error, lease_owner
             FROM ${table} ORDER BY created_at, id`,
        );
        return rows.map((r): OutboxRowView => ({
          id: String(r['id']),
          status: r['status'] as OutboxRowView['status'],
          attempts: Number(r['attempts']),
          availableAt: Number(r['available_at']),
          sentAt: r['sent_at'] === null ? null : Number(r['sent_at']),
          lastError: r['last_error'] as string | null,
          leaseOwner: r['lease_owner'] as string | null,
        }));
      },
      purgeSent: (ms) => outbox.purgeSent(db(), ms),
      revive: (id) => outbox.revive(db(), id),
      checkPrepared: (id) => outbox.checkPrepared(db(), id),
      async holdRowLock(id) {
        const conn = await db(1).getConnection();
        await conn.beginTransaction();
        await conn.query(`SELECT id FROM ${table} WHERE id = ? FOR UPDATE`, [id]);
        return async () => {
          await conn.rollback();
          conn.release();
        };
      },
    };
  },
};

const inboxClock = new ManualClock(1_700_000_000_000);
const inboxHarness: InboxHarness = {
  async open(clock): Promise<InboxFixture> {
    tables += 1;
    const table = `inbox_${tables}`;
    const inboxes = {
      a: mysqlInbox({ table, consumer: 'a', clock }),
      b: mysqlInbox({ table, consumer: 'b', clock }),
    };
    await inboxes.a.migrate(db());
    await db().query(`CREATE TABLE ${table}_effects (message_id varchar(128)) ENGINE=InnoDB`);
    return {
      consume: (messageId, { consumer = 'a', holdMs = 0, fail = false } = {}) =>
        inTransaction((conn) =>
          inboxes[consumer].consume(conn, messageId, async (tx: MysqlQueryable) => {
            await tx.query(`INSERT INTO ${table}_effects (message_id) VALUES (?)`, [messageId]);
            if (holdMs > 0) await sleep(holdMs);
            if (fail) throw new Error('consumer failed');
            return 1;
          }),
        ),
      effects: (messageId) =>
        count(`SELECT count(*) AS n FROM ${table}_effects WHERE message_id = ?`, [messageId]),
      purge: (ms) => inboxes.a.purge(db(), ms),
    };
  },
};

if (skip === null) {
  before(async () => {
    database = await createTempMysqlDatabase('accord_client_outbox');
    pools = [
      mysql.createPool({ uri: database.url, connectionLimit: 8 }),
      mysql.createPool({ uri: database.url, connectionLimit: 8 }),
    ];
  });
  after(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await database?.drop();
  });

  outboxConformance('mysql', () => outboxHarness);
  inboxConformance(
    'mysql',
    () => inboxHarness,
    () => inboxClock,
  );

  describe('mysql outbox specifics', () => {
    test('the table has the documented columns, binary collation and a due index', async () => {
      const outbox = mysqlOutbox({ table: 'outbox_ddl' });
      await Promise.all([outbox.migrate(db()), outbox.migrate(db(1))]);
      const [columns] = await db().query<mysql.RowDataPacket[]>(
        `SELECT column_name AS name, collation_name AS c FROM information_schema.columns
          WHERE table_schema = DATABASE() AND table_name = 'outbox_ddl' ORDER BY ordinal_position`,
      );
      assert.deepEqual(
        columns.map((c) => c['name'] as string),
        [
          'id',
          'topic',
          'payload',
          'headers',
          'status',
          'attempts',
          'created_at',
          'available_at',
          'sent_at',
          'last_error',
          'lease_owner',
          'lease_until',
        ],
      );
      assert.equal(columns[0]?.['c'], 'utf8mb4_bin');
      const [indexes] = await db().query<mysql.RowDataPacket[]>(
        `SELECT index_name AS name, column_name AS col FROM information_schema.statistics
          WHERE table_schema = DATABASE() AND table_name = 'outbox_ddl' AND index_name = 'outbox_ddl_due'
          ORDER BY seq_in_index`,
      );
      assert.deepEqual(
        indexes.map((i) => i['col'] as string),
        ['status', 'available_at'],
      );
    });

    test('ids differing only in case are distinct messages', async () => {
      const outbox = mysqlOutbox({ table: 'outbox_case' });
      await outbox.migrate(db());
      await inTransaction(async (conn) => {
        await outbox.add(conn, { id: 'Order-1', topic: 't', payload: 1 });
        await outbox.add(conn, { id: 'order-1', topic: 't', payload: 2 });
      });
      const rec = new PublishRecorder();
      const relay = outbox.relay({ db: db(), publisher: rec.publisher(), autoStart: false });
      assert.equal(await relay.runOnce(), 2);
      await relay.stop();
    });

    test('a database-qualified table name works end to end', async () => {
      assert.ok(database);
      const outbox = mysqlOutbox({ table: `${database.database}.qualified_outbox` });
      await outbox.migrate(db());
      await inTransaction((conn) => outbox.add(conn, { topic: 't', payload: { a: 'é' } }));
      const rec = new PublishRecorder();
      const relay = outbox.relay({ db: db(), publisher: rec.publisher(), autoStart: false });
      assert.equal(await relay.runOnce(), 1);
      assert.deepEqual(rec.published[0]?.message.payload, { a: 'é' });
      await relay.stop();
    });
  });
} else {
  test('mysql outbox', (t) => t.skip(skip));
}
