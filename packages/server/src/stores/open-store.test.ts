import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '@accord/testkit';
import { describeStoreUrl, openStore, storeMigrations } from './open-store.js';
import { renderMigrations } from './common/migration.js';

describe('openStore', () => {
  it('opens sqlite files relative to the data dir, creating folders', async () => {
    const dir = tempDir('accord-open-');
    try {
      const store = await openStore('sqlite:nested/accord.db', { dataDir: dir.path });
      await store.migrate();
      assert.equal(store.kind, 'sqlite');
      assert.ok(existsSync(join(dir.path, 'nested', 'accord.db')));
      await store.close();
      const absolute = join(dir.path, 'abs.db');
      const other = await openStore(`sqlite://${absolute}`, { dataDir: '/nonexistent' });
      await other.migrate();
      assert.ok(existsSync(absolute));
      await other.close();
    } finally {
      dir.remove();
    }
  });

  it('opens sqlite in memory', async () => {
    const store = await openStore('sqlite::memory:', { dataDir: '/nonexistent' });
    await store.migrate();
    assert.equal(store.capabilities.durableCommits, false);
    await store.close();
  });

  it('opens postgres for both URL schemes without connecting yet', async () => {
    for (const url of ['postgres://u:p@127.0.0.1:1/db', 'postgresql://u@127.0.0.1:1/db']) {
      const store = await openStore(url, { dataDir: '/tmp' });
      assert.equal(store.kind, 'postgres');
      assert.equal(store.capabilities.sharedByInstances, true);
      await store.close();
    }
  });

  it('refuses an unknown scheme naming ACCORD_STORE and the accepted ones, without secrets', async () => {
    await assert.rejects(openStore('mongodb://root:hunter2@db/x', { dataDir: '/tmp' }), (error) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /ACCORD_STORE/);
      assert.match(error.message, /sqlite:/);
      assert.match(error.message, /postgres:\/\//);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
    await assert.rejects(openStore('sqlite:', { dataDir: '/tmp' }), /ACCORD_STORE/);
  });

  it('exposes each backend its migrations, renderable as one script', () => {
    const script = renderMigrations(storeMigrations('postgres://db/x'));
    assert.match(script, /-- migration 0001: /);
    assert.match(script, /CREATE TABLE accord_transactions/);
    assert.notEqual(storeMigrations('sqlite:a.db'), storeMigrations('postgres://db/x'));
  });
});

describe('describeStoreUrl', () => {
  it('replaces passwords with ***', () => {
    const cases: [string, string][] = [
      ['postgres://accord:s3cr%40t@db:5432/accord', 'postgres://accord:***@db:5432/accord'],
      ['postgresql://:pw@db/x', 'postgresql://:***@db/x'],
      ['postgres://accord@db/accord', 'postgres://accord@db/accord'],
      ['postgres://db/x?user=a&password=secret&ssl=1', 'postgres://db/x?user=a&password=***&ssl=1'],
      ['sqlite:accord.db', 'sqlite:accord.db'],
      ['sqlite::memory:', 'sqlite::memory:'],
    ];
    for (const [url, shown] of cases) assert.equal(describeStoreUrl(url), shown);
  });
});
