import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '@accord/testkit';
import { storeConformance } from '@accord/store-conformance';
import { SqliteStore } from './sqlite-store.js';

storeConformance('sqlite (file in a data dir)', () => {
  const dir = tempDir('accord-sqlite-');
  const path = join(dir.path, 'accord.db');
  const stores = [new SqliteStore({ path })];
  return Promise.resolve({
    store: stores[0] as SqliteStore,
    openAnother() {
      const another = new SqliteStore({ path });
      stores.push(another);
      return Promise.resolve(another);
    },
    async cleanup() {
      for (const store of stores) await store.close();
      dir.remove();
    },
  });
});

storeConformance('sqlite (in memory)', () => {
  const store = new SqliteStore({ path: ':memory:' });
  return Promise.resolve({ store, cleanup: () => store.close() });
});

describe('sqlite store specifics', () => {
  it('uses WAL and full sync on a file, and says commits are durable', async () => {
    const dir = tempDir('accord-sqlite-');
    const path = join(dir.path, 'accord.db');
    const store = new SqliteStore({ path });
    try {
      await store.migrate();
      assert.equal(store.capabilities.durableCommits, true);
      const db = new Database(path, { readonly: true });
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        const tables = db
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'accord_%'`)
          .pluck()
          .all();
        assert.deepEqual([...tables].sort(), [
          'accord_attempts',
          'accord_branch_ops',
          'accord_kv',
          'accord_migrations',
          'accord_row_locks',
          'accord_transactions',
        ]);
        const versions = db.prepare('SELECT version FROM accord_migrations').pluck().all();
        assert.deepEqual(versions, [1, 2, 3, 4, 5]);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it('an in-memory database does not claim durable commits', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    assert.equal(store.capabilities.durableCommits, false);
    await store.close();
  });

  it('lockExclusive keeps a second instance off the file until the first closes', async () => {
    const dir = tempDir('accord-sqlite-');
    const path = join(dir.path, 'accord.db');
    const [first, second] = [new SqliteStore({ path }), new SqliteStore({ path })];
    try {
      assert.equal(first.capabilities.sharedByInstances, false);
      await first.lockExclusive();
      await first.lockExclusive(); // taking it again is harmless
      await assert.rejects(second.lockExclusive(), (error: Error) => {
        assert.match(error.message, /accord\.db is in use by another coordinator/);
        assert.match(error.message, /accord\.db-lock/);
        return true;
      });
      await second.migrate(); // the database itself stays open to others
      await first.close();
      await second.lockExclusive();
      assert.deepEqual(
        readdirSync(dir.path).filter((f) => f.includes('journal')),
        [],
      );
    } finally {
      await first.close();
      await second.close();
      dir.remove();
    }
  });

  it('lockExclusive on an in-memory database has nothing to take', async () => {
    const [a, b] = [new SqliteStore({ path: ':memory:' }), new SqliteStore({ path: ':memory:' })];
    await a.lockExclusive();
    await b.lockExclusive();
    await a.close();
    await b.close();
    await assert.rejects(a.lockExclusive(), /closed/);
  });
});
