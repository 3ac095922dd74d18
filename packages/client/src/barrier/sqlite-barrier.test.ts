import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir } from '@accord/testkit';
import {
  barrierConformance,
  freshGid,
  type BarrierHarness,
} from '../../test-support/barrier-conformance.js';
import { sqliteBarrier } from './sqlite-barrier.js';
import type { BarrierContext, BarrierResult } from './types.js';

const dir = tempDir('accord-sqlite-barrier-');
const db = new Database(join(dir.path, 'barrier.db'));
const barrier = sqliteBarrier();
let harness: BarrierHarness | undefined;

function ledgerWrite(ctx: BarrierContext): number {
  return db
    .prepare('INSERT INTO ledger (gid, branch_id, op) VALUES (?, ?, ?)')
    .run(ctx.gid, ctx.branchId, ctx.op).changes;
}

before(() => {
  db.pragma('journal_mode = WAL');
  barrier.migrate(db);
  barrier.migrate(db);
  db.prepare('CREATE TABLE ledger (gid TEXT, branch_id TEXT, op TEXT)').run();
  harness = {
    call(ctx, { steps = 1, fail = false } = {}) {
      return Promise.resolve().then(() =>
        db.transaction(() => {
          const results: BarrierResult<unknown>[] = [];
          for (let i = 0; i < steps; i += 1) {
            results.push(
              barrier.run(db, ctx, () => {
                const n = ledgerWrite(ctx);
                if (fail && i === steps - 1) throw new Error('business failed');
                return n;
              }),
            );
          }
          return results;
        })(),
      );
    },
    applied(gid, op) {
      const row = db
        .prepare('SELECT count(*) AS n FROM ledger WHERE gid = ? AND op = ?')
        .get(gid, op) as { n: number };
      return Promise.resolve(row.n);
    },
    produce(gid) {
      return Promise.resolve().then(() =>
        db.transaction(() => {
          ledgerWrite({ gid, branchId: '00', op: 'action' });
          barrier.msg(db, gid);
        })(),
      );
    },
    checkPrepared(gid) {
      return Promise.resolve(barrier.checkPrepared(db, gid));
    },
  };
});
after(() => {
  db.close();
  dir.remove();
});

barrierConformance('sqlite', () => {
  assert.ok(harness);
  return harness;
});

describe('sqlite barrier specifics', () => {
  test('refuses to run outside a transaction', () => {
    const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
    assert.throws(() => barrier.run(db, ctx, () => 1), /inside db\.transaction/);
    assert.throws(() => barrier.msg(db, ctx.gid), /inside db\.transaction/);
  });

  test('an async business function is refused and its transaction rolled back', () => {
    const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
    assert.throws(
      () =>
        db.transaction(() =>
          // @ts-expect-error: the business function must be synchronous
          barrier.run(db, ctx, async () => Promise.resolve(ledgerWrite(ctx))),
        )(),
      TypeError,
    );
    const rows = db.prepare('SELECT count(*) AS n FROM accord_barrier WHERE gid = ?').get(ctx.gid);
    assert.deepEqual(rows, { n: 0 });
    const retried = db.transaction(() => barrier.run(db, ctx, () => ledgerWrite(ctx)))();
    assert.deepEqual(retried, { applied: true, value: 1 });
  });

  test('the table has the documented columns and key', () => {
    const columns = db.prepare('PRAGMA table_info(accord_barrier)').all() as {
      name: string;
      pk: number;
    }[];
    assert.deepEqual(
      columns.map((c) => c.name),
      ['gid', 'branch_id', 'op', 'barrier_id', 'reason', 'created_at'],
    );
    assert.deepEqual(
      columns.filter((c) => c.pk > 0).map((c) => c.name),
      ['gid', 'branch_id', 'op', 'barrier_id'],
    );
  });

  test('a custom table name', () => {
    const custom = sqliteBarrier({ table: 'my_barrier' });
    custom.migrate(db);
    const ctx = { gid: freshGid(), branchId: '01', op: 'action' } as const;
    assert.equal(db.transaction(() => custom.run(db, ctx, () => 'ok'))().applied, true);
    assert.deepEqual(db.prepare('SELECT count(*) AS n FROM my_barrier').get(), { n: 1 });
  });
});
