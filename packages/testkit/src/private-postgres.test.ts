import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PrivatePostgres } from './private-postgres.js';
import { servicesRequired } from './index.js';

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const unavailable = PrivatePostgres.unavailable();
if (unavailable && servicesRequired())
  throw new Error(`ACCORD_REQUIRE_SERVICES=1 but ${unavailable}`);

describe('a private PostgreSQL', { skip: unavailable ?? false }, () => {
  it('allows prepared transactions, survives a crash with its commits, and leaves nothing', async () => {
    const server = await PrivatePostgres.start();
    let pid: number | undefined;
    try {
      assert.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      const [setting] = await query<{ n: string }>(
        server.url,
        "select current_setting('max_prepared_transactions') as n",
      );
      assert.equal(setting?.n, '64');
      await query(server.url, 'create table kept (n int); insert into kept values (1)');
      await server.crash();
      assert.equal(server.running, false);
      await server.start();
      assert.deepEqual(await query(server.url, 'select n from kept'), [{ n: 1 }]);
      pid = server.pid;
      assert.ok(pid);
    } finally {
      await server.remove();
    }
    assert.equal(server.running, false);
    assert.equal(existsSync(`/proc/${pid}`), false, 'the postmaster is gone');
  });
});
