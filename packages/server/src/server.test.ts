/** What a coordinator does at start with its store's capabilities. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { tempDir } from '@accord/testkit';
import { ConfigError, loadConfig } from './config/config.js';
import { startServer } from './server.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly store?: string;
}

/** A logger that keeps its lines, and its warnings (pino level 40). */
function recordingLogger() {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, sink),
    warnings: () => lines.filter((l) => l.level === 40),
  };
}

function configFor(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({}, { ACCORD_DATA_DIR: dataDir, ACCORD_PORT: '0', ...env });
}

describe('a coordinator and its store capabilities', () => {
  it('warns once at start when the store does not make commits durable', async () => {
    const dir = tempDir('accord-server-');
    const { logger, warnings } = recordingLogger();
    const server = await startServer(configFor(dir.path, { ACCORD_STORE: 'sqlite::memory:' }), {
      logger,
    });
    try {
      assert.equal(server.store.capabilities.durableCommits, false);
      const durability = warnings().filter((l) => /durable/.test(l.msg));
      assert.equal(durability.length, 1, JSON.stringify(warnings()));
      assert.equal(durability[0]?.store, 'sqlite');
      assert.match(durability[0]?.msg ?? '', /the sqlite store does not make commits durable/);
    } finally {
      await server.close();
      dir.remove();
    }
  });

  it('says nothing of durability when commits are durable', async () => {
    const dir = tempDir('accord-server-');
    const { logger, warnings } = recordingLogger();
    const server = await startServer(configFor(dir.path), { logger });
    try {
      assert.equal(server.store.capabilities.durableCommits, true);
      assert.deepEqual(
        warnings().filter((l) => /durable/.test(l.msg)),
        [],
      );
    } finally {
      await server.close();
      dir.remove();
    }
  });

  it('refuses a second coordinator on a store that cannot be shared, until the first stops', async () => {
    const dir = tempDir('accord-server-');
    const quiet = { logger: pino({ level: 'silent' }) };
    const first = await startServer(configFor(dir.path), quiet);
    try {
      assert.equal(first.store.capabilities.sharedByInstances, false);
      await assert.rejects(startServer(configFor(dir.path), quiet), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /^ACCORD_STORE \(sqlite:.*accord\.db\) cannot be opened: .*is in use by another coordinator/,
        );
        return true;
      });
      const ready = await first.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200, 'the first one still serves');
      await first.close();
      const next = await startServer(configFor(dir.path), quiet);
      await next.close();
    } finally {
      await first.close().catch(() => undefined);
      dir.remove();
    }
  });
});
