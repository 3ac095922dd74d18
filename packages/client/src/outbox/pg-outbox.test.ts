import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ManualClock } from '@accord/core';
import { createTempSchema, requireService, type TempSchema } from '@accord/testkit';
import type { PgQueryable } from '../barrier/pg-barrier.js';
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
import { pgInbox } from './pg-inbox.js';
import { pgOutbox } from './pg-outbox.js';

const skip = await requireService('postgres');
let schema: TempSchema | undefined;
let pools: [pg.Pool, pg.Pool] | undefined;
let tables = 0;

function db(which: 0 | 1 = 0): pg.Pool {
  assert.ok(pools, 'pools not ready');
  return pools[which];
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

async function count(sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await db().query<{ n: number }>(sql, values);
  return rows[0]?.n ?? 0;
}

const outboxHarness: OutboxHarness = {
  async open(clock): Promise<OutboxFixture> {
    tables += 1;
    const table = `outbox_${tables}`;
    const outbox = pgOutbox({ table, clock });
    await outbox.migrate(db());
    await db().query(`CREATE TABLE ${table}_business (topic text)`);
    return {
      produce: (messages, { fail = false } = {}) =>
        inTransaction(async (client) => {
          const ids: string[] = [];
          for (const m of messages) {
            await client.query(`INSERT INTO ${table}_business (topic) VALUES ($1)`, [m.topic]);
            ids.push(await outbox.add(client, m));
          }
          if (fail) throw new Error('business failed');
          return ids;
        }),
      businessRows: () => count(`SELECT count(*)::int AS n FROM ${table}_business`),
      relay: (options, pool = 'first') =>
        outbox.relay({ ...options, db: db(pool === 'first' ? 0 : 1) }),
      async rows() {
        const { rows } = await db().query<Record<string, unknown>>(
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
        const client = await db(1).connect();
        await client.query('BEGIN');
        await client.query(`SELECT id FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
        return async () => {
          await client.query('ROLLBACK');
          client.release();
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
      a: pgInbox({ table, consumer: 'a', clock }),
      b: pgInbox({ table, consumer: 'b', clock }),
    };
    await inboxes.a.migrate(db());
    await db().query(`CREATE TABLE ${table}_effects (message_id text)`);
    return {
      consume: (messageId, { consumer = 'a', holdMs = 0, fail = false } = {}) =>
        inTransaction((client) =>
          inboxes[consumer].consume(client, messageId, async (tx: PgQueryable) => {
            await tx.query(`INSERT INTO ${table}_effects (message_id) VALUES ($1)`, [messageId]);
            if (holdMs > 0) await sleep(holdMs);
            if (fail) throw new Error('consumer failed');
            return 1;
          }),
        ),
      effects: (messageId) =>
        count(`SELECT count(*)::int AS n FROM ${table}_effects WHERE message_id = $1`, [messageId]),
      purge: (ms) => inboxes.a.purge(db(), ms),
    };
  },
};

if (skip === null) {
  before(async () => {
    schema = await createTempSchema('accord_client_outbox');
    pools = [
      new pg.Pool({ connectionString: schema.url, max: 8 }),
      new pg.Pool({ connectionString: schema.url, max: 8 }),
    ];
  });
  after(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await schema?.drop();
  });

  outboxConformance('postgres', () => outboxHarness);
  inboxConformance(
    'postgres',
    () => inboxHarness,
    () => inboxClock,
  );

  describe('postgres outbox specifics', () => {
    test('the table has the documented columns, a partial index on pending rows, and racing migrate is safe', async () => {
      const outbox = pgOutbox({ table: 'outbox_ddl' });
      await Promise.all([outbox.migrate(db()), outbox.migrate(db(1))]);
      await outbox.migrate(db());
      const { rows: columns } = await db().query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = 'outbox_ddl'
          ORDER BY ordinal_position`,
      );
      assert.deepEqual(
        columns.map((c) => c.name),
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
      const { rows: indexes } = await db().query<{ def: string }>(
        `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'outbox_ddl' ORDER BY indexname`,
      );
      assert.ok(
        indexes.some((i) => /\(available_at\) WHERE \(\(status\)::text = 'pending'/.test(i.def)),
        JSON.stringify(indexes),
      );
    });

    test('a schema-qualified table name works end to end', async () => {
      assert.ok(schema);
      const outbox = pgOutbox({ table: `${schema.schema}.qualified_outbox` });
      await outbox.migrate(db());
      const id = await inTransaction((client) =>
        outbox.add(client, { topic: 't', payload: [1, 'two'] }),
      );
      const rec = new PublishRecorder();
      const relay = outbox.relay({ db: db(), publisher: rec.publisher(), autoStart: false });
      assert.equal(await relay.runOnce(), 1);
      assert.deepEqual(rec.published[0]?.message.payload, [1, 'two']);
      assert.equal(rec.published[0]?.message.id, id);
      await relay.stop();
    });

    test('an invalid table name is refused', () => {
      assert.throws(() => pgOutbox({ table: 'x; drop table y' }), { code: 'INVALID_REQUEST' });
      assert.throws(() => pgInbox({ table: 'a.b.c' }), { code: 'INVALID_REQUEST' });
    });
  });
} else {
  test('postgres outbox', (t) => t.skip(skip));
}
