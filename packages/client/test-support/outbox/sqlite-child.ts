/**
 * A second process on the same SQLite file, for the tests that need real inter-process
 * concurrency. Not part of the public API.
 *
 *   node sqlite-child.js relay <db> <table> <log> <owner>
 *     runs a relay until no pending row is left; every publish appends `S <id> <owner>`
 *     when it starts and `E <id> <owner>` when it ends to <log>.
 *   node sqlite-child.js hold-inbox <db> <table> <consumer> <messageId> <holdMs>
 *     consumes <messageId> in a write transaction, prints `holding`, keeps the
 *     transaction open for <holdMs>, commits, prints `committed`.
 */
import Database from 'better-sqlite3';
import { sqliteInbox } from '../../src/outbox/sqlite-inbox.js';
import { sqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import { loggingPublisher } from './recording-publisher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function relay(file: string, table: string, log: string, owner: string): Promise<void> {
  const db = new Database(file, { timeout: 10_000 });
  const outbox = sqliteOutbox({ table });
  const r = outbox.relay({
    db,
    owner,
    publisher: loggingPublisher(log, owner),
    batchSize: 5,
    intervalMs: 2,
    concurrency: 2,
    leaseMs: 60_000,
  });
  const pending = db.prepare(`SELECT count(*) AS n FROM ${table} WHERE status = 'pending'`);
  while ((pending.get() as { n: number }).n > 0) await sleep(5);
  await r.stop();
  db.close();
}

async function holdInbox(
  file: string,
  table: string,
  consumer: string,
  messageId: string,
  holdMs: number,
): Promise<void> {
  const db = new Database(file, { timeout: 10_000 });
  const inbox = sqliteInbox({ table, consumer });
  // A transaction held across an await: only possible with explicit BEGIN/COMMIT.
  db.exec('BEGIN IMMEDIATE');
  inbox.consume(db, messageId, () =>
    db.prepare(`INSERT INTO ${table}_effects (message_id) VALUES (?)`).run(messageId),
  );
  process.stdout.write('holding\n');
  await sleep(holdMs);
  db.exec('COMMIT');
  process.stdout.write('committed\n');
  db.close();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'relay') {
  const [file = '', table = '', log = '', owner = ''] = args;
  await relay(file, table, log, owner);
} else if (mode === 'hold-inbox') {
  const [file = '', table = '', consumer = '', messageId = '', holdMs = '0'] = args;
  await holdInbox(file, table, consumer, messageId, Number(holdMs));
} else if (mode !== undefined) {
  throw new Error(`unknown mode ${mode}`);
}
