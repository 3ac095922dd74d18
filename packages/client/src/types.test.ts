/**
 * Type tests for the generic builders and helpers: this file only has to compile. Each
 * `@ts-expect-error` fails the build if the mistake it marks stops being an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sqliteBarrier, type BarrierResult, type SqliteDatabaseLike } from './barrier/index.js';
import type { AccordClient, TccContext } from './index.js';
import { accordHandler } from './participant/index.js';

interface Transfer {
  account: string;
  amount: number;
}

function compileOnly(accord: AccordClient, db: SqliteDatabaseLike, tcc: TccContext): void {
  accord.saga().step<Transfer>({ action: 'http://a', payload: { account: 'A', amount: 1 } });
  // @ts-expect-error: payload does not match the declared step type
  accord.saga().step<Transfer>({ action: 'http://a', payload: { account: 'A' } });
  // @ts-expect-error: msg steps have no compensation
  accord.msg({ checkUrl: 'http://c' }).step({ action: 'http://a', compensate: 'http://b' });
  // @ts-expect-error: msg needs a checkUrl
  accord.msg({});

  const held: Promise<{ holdId: string }> = tcc.branch<{ holdId: string }>({
    try: 'http://t',
    confirm: 'http://c',
    cancel: 'http://x',
  });
  void held;
  // @ts-expect-error: a tcc branch needs all three URLs
  void tcc.branch({ try: 'http://t', confirm: 'http://c' });

  accordHandler<Transfer, { ok: boolean }>((_ctx, body) => ({ ok: body.amount > 0 }));
  // @ts-expect-error: the body is typed
  accordHandler<Transfer>((_ctx, body) => body.missing);

  const barrier = sqliteBarrier();
  const ctx = { gid: 'g', branchId: '01', op: 'action' } as const;
  const sync: BarrierResult<number> = barrier.run(db, ctx, () => 1);
  void sync;
  // @ts-expect-error: better-sqlite3 transactions cannot span an await
  barrier.run(db, ctx, () => Promise.resolve(1));
}

test('the type tests compiled', () => {
  assert.equal(typeof compileOnly, 'function');
});
