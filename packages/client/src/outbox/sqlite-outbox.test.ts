import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '@accord/core';
import { tempDir, waitFor } from '@accord/testkit';
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
import { loggingPublisher, readPublishLog } from '../../test-support/outbox/recording-publisher.js';
import { sqliteInbox } from './sqlite-inbox.js';
import { sqliteOutbox } from './sqlite-outbox.js';

const dir = tempDir('accord-sqlite-outbox-');
const file = join(dir.path, 'outbox.db');
const child = fileURLToPath(new URL('../../test-support/outbox/sqlite-child.js', import.meta.url));
const first = new Database(file);
const second = new Database(file);
let tables = 0;

/** Runs `fn` on the next tick, so a synchronous failure becomes a rejection. */
const later = <T>(fn: () => T): Promise<T> => Promise.resolve().then(fn);

const count = (sql: string, ...values: unknown[]): number =>
  (first.prepare(sql).get(...values) as { n: number }).n;

const outboxHarness: OutboxHarness = {
  async open(clock): Promise<OutboxFixture> {
    tables += 1;
    const table = `outbox_${tables}`;
    const outbox = sqliteOutbox({ table, clock });
    outbox.migrate(first);
    first.exec(`CREATE TABLE ${table}_business (topic TEXT)`);
    return {
      produce: (messages, { fail = false } = {}) =>
        later(() =>
          first.transaction(() => {
            const ids = messages.map((m) => {
              first.prepare(`INSERT INTO ${table}_business (topic) VALUES (?)`).run(m.topic);
              return outbox.add(first, m);
            });
            if (fail) throw new Error('business failed');
            return ids;
          })(),
        ),
      businessRows: () => later(() => count(`SELECT count(*) AS n FROM ${table}_business`)),
      relay: (options, pool = 'first') =>
        outbox.relay({ ...options, db: pool === 'first' ? first : second }),
      rows: () =>
        later(() =>
          (
            first
              .prepare(
                `SELECT id, status, attempts, available_at, sent_at, last_error, lease_owner
                   FROM ${table} ORDER BY created_at, id`,
              )
              .all() as Record<string, unknown>[]
          ).map((r): OutboxRowView => ({
            id: String(r['id']),
            status: r['status'] as OutboxRowView['status'],
            attempts: Number(r['attempts']),
            availableAt: Number(r['available_at']),
            sentAt: r['sent_at'] === null ? null : Number(r['sent_at']),
            lastError: r['last_error'] as string | null,
            leaseOwner: r['lease_owner'] as string | null,
          })),
        ),
      purgeSent: (ms) => later(() => outbox.purgeSent(first, ms)),
      revive: (id) => later(() => outbox.revive(first, id)),
      checkPrepared: (id) => later(() => outbox.checkPrepared(first, id)),
    };
  },
};

const inboxClock = new ManualClock(1_700_000_000_000);
const inboxHarness: InboxHarness = {
  noConcurrency:
    'better-sqlite3 transactions are synchronous, so two cannot interleave in one process (the cross-process case is below)',
  async open(clock): Promise<InboxFixture> {
    tables += 1;
    const table = `inbox_${tables}`;
    const inboxes = {
      a: sqliteInbox({ table, consumer: 'a', clock }),
      b: sqliteInbox({ table, consumer: 'b', clock }),
    };
    inboxes.a.migrate(first);
    first.exec(`CREATE TABLE ${table}_effects (message_id TEXT)`);
    return {
      consume: (messageId, { consumer = 'a', fail = false } = {}) =>
        later(() =>
          first.transaction(() =>
            inboxes[consumer].consume(first, messageId, () => {
              first.prepare(`INSERT INTO ${table}_effects (message_id) VALUES (?)`).run(messageId);
              if (fail) throw new Error('consumer failed');
              return 1;
            }),
          )(),
        ),
      effects: (messageId) =>
        later(() =>
          count(`SELECT count(*) AS n FROM ${table}_effects WHERE message_id = ?`, messageId),
        ),
      purge: (ms) => later(() => inboxes.a.purge(first, ms)),
    };
  },
};

/** Runs the child script with `args`; resolves once it printed `line` (and returns it). */
function startChild(args: string[]) {
  const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.setEncoding('utf8');
  const printed = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.split('\n').includes(line)) resolve();
      };
      proc.stdout.on('data', (chunk: string) => {
        out += chunk;
        check();
      });
      proc.on('exit', (code) => reject(new Error(`child exited (${code}) before "${line}"`)));
      check();
    });
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  /** Kills the child if it still runs (a failed test must not leave it behind). */
  const kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  return { printed, exited, kill };
}

before(() => {
  first.pragma('journal_mode = WAL');
});
after(() => {
  first.close();
  second.close();
  dir.remove();
});

outboxConformance('sqlite', () => outboxHarness);
inboxConformance(
  'sqlite',
  () => inboxHarness,
  () => inboxClock,
);

describe('sqlite outbox specifics', () => {
  test('a relay in another process and one here share the rows: never the same row at once, each exactly once', async () => {
    const table = 'outbox_two_processes';
    const outbox = sqliteOutbox({ table });
    outbox.migrate(first);
    const total = 300;
    const ids = first.transaction(() =>
      Array.from({ length: total }, (_, i) => outbox.add(first, { topic: 't', payload: i })),
    )();
    const log = join(dir.path, 'publishes.log');
    writeFileSync(log, '');
    const other = startChild(['relay', file, table, log, 'child']);
    // This relay's first publishes wait (holding their rows' leases) until the child has
    // published, so both take part however slowly the child process starts.
    const logged = loggingPublisher(log, 'parent');
    const childStarted = waitFor(() => readPublishLog(log).byOwner.has('child'), {
      timeoutMs: 60_000,
      intervalMs: 10,
      what: 'the child relay to publish',
    }).catch(() => undefined);
    const here = outbox.relay({
      db: second,
      owner: 'parent',
      publisher: {
        async publish(message) {
          await childStarted;
          await logged.publish(message);
        },
      },
      batchSize: 5,
      intervalMs: 2,
      concurrency: 2,
      leaseMs: 60_000,
    });
    try {
      assert.equal(await other.exited, 0);
    } finally {
      await here.stop();
      other.kill();
    }
    const result = readPublishLog(log);
    assert.deepEqual(result.overlaps, []);
    assert.deepEqual([...result.counts.keys()].sort(), [...ids].sort());
    assert.ok(
      [...result.counts.values()].every((n) => n === 1),
      'each row published once',
    );
    assert.ok((result.byOwner.get('child') ?? 0) > 0, 'the child published some');
    assert.ok((result.byOwner.get('parent') ?? 0) > 0, 'this process published some');
    assert.equal(count(`SELECT count(*) AS n FROM ${table} WHERE status = 'sent'`), total);
  });

  test('inbox: a duplicate from another process waits for its commit, then skips', async (t) => {
    const table = 'inbox_two_processes';
    const inbox = sqliteInbox({ table, consumer: 'a' });
    inbox.migrate(first);
    first.exec(`CREATE TABLE ${table}_effects (message_id TEXT)`);
    const holder = startChild(['hold-inbox', file, table, 'a', 'm-x', '1000']);
    t.after(() => holder.kill());
    await holder.printed('holding');
    const started = Date.now();
    // Blocks (SQLite's busy wait) until the other process commits.
    const result = first
      .transaction(() =>
        inbox.consume(first, 'm-x', () =>
          first.prepare(`INSERT INTO ${table}_effects (message_id) VALUES (?)`).run('m-x'),
        ),
      )
      .immediate();
    assert.ok(Date.now() - started >= 100, 'it waited for the other transaction');
    assert.deepEqual(result, { applied: false, reason: 'duplicate' });
    assert.equal(await holder.exited, 0);
    assert.equal(count(`SELECT count(*) AS n FROM ${table}_effects`), 1);
  });

  test('add and consume refuse to run outside a transaction; consume refuses async work', () => {
    const outbox = sqliteOutbox({ table: 'outbox_guard' });
    outbox.migrate(first);
    assert.throws(() => outbox.add(first, { topic: 't', payload: 1 }), /inside db\.transaction/);
    const inbox = sqliteInbox({ table: 'inbox_guard' });
    inbox.migrate(first);
    assert.throws(() => inbox.consume(first, 'm', () => 1), /inside db\.transaction/);
    assert.throws(
      () =>
        first.transaction(() =>
          // @ts-expect-error: the function must be synchronous
          inbox.consume(first, 'm', async () => Promise.resolve(1)),
        )(),
      TypeError,
    );
    assert.equal(count('SELECT count(*) AS n FROM inbox_guard'), 0, 'rolled back');
  });

  test('the table has the documented columns and partial indexes', () => {
    const outbox = sqliteOutbox({ table: 'outbox_ddl' });
    outbox.migrate(first);
    outbox.migrate(first);
    const columns = first.prepare('PRAGMA table_info(outbox_ddl)').all() as { name: string }[];
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
    const indexes = first
      .prepare(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_ddl' AND sql IS NOT NULL",
      )
      .all() as { sql: string }[];
    assert.ok(indexes.some((i) => /\(available_at\) WHERE status = 'pending'/.test(i.sql)));
  });
});
