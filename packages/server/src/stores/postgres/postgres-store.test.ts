import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTempSchema, requireService } from '@accord/testkit';
import { storeConformance } from '@accord/store-conformance';
import { PostgresStore } from './postgres-store.js';

const skip = await requireService('postgres');

describe('postgres store', { skip: skip ?? false }, () => {
  storeConformance('postgres', async () => {
    const schema = await createTempSchema('accord_store');
    const stores = [new PostgresStore({ connectionString: schema.url })];
    return {
      store: stores[0] as PostgresStore,
      openAnother() {
        const another = new PostgresStore({ connectionString: schema.url });
        stores.push(another);
        return Promise.resolve(another);
      },
      async cleanup() {
        for (const store of stores) await store.close();
        await schema.drop();
      },
    };
  });

  it('creates its tables in the schema of the URL search_path, not public', async () => {
    const schema = await createTempSchema('accord_store');
    const store = new PostgresStore({ connectionString: schema.url });
    const client = new pg.Client({ connectionString: schema.url });
    try {
      await store.migrate();
      await client.connect();
      const result = await client.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_name LIKE 'accord\\_%' AND table_schema = $1 ORDER BY table_name`,
        [schema.schema],
      );
      assert.deepEqual(
        result.rows.map((r) => r.table_name),
        [
          'accord_attempts',
          'accord_branch_ops',
          'accord_kv',
          'accord_migrations',
          'accord_row_locks',
          'accord_transactions',
        ],
      );
    } finally {
      await client.end();
      await store.close();
      await schema.drop();
    }
  });
});
