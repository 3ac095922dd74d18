/** Conformance cases: claim, claimDue (including concurrent claimers), renew, release. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Store, TransactionRecord } from '@accord/core';
import {
  T,
  mustGet,
  sagaSnapshot,
  seed,
  txRecord,
  withStore,
  writeAll,
  writeOf,
  type OpenConformanceStore,
} from './fixtures.js';

const LEASE = 1000;

/** Seeds a saga (with ops) whose record has `fields` overridden. */
async function seedTx(store: Store, gid: string, fields: Partial<TransactionRecord>) {
  const snap = sagaSnapshot(gid);
  const tx = { ...snap.tx, ...fields };
  await seed(store, tx, snap.ops);
  return { tx, ops: snap.ops };
}

/** Registers the lease cases. */
export function leaseCases(open: OpenConformanceStore): void {
  it('claim takes a free transaction: owner, expiry, fence + 1, ops included', () =>
    withStore(open, async (store) => {
      const seeded = await seedTx(store, 'c-free', { fence: 4 });
      const claimed = await store.claim('c-free', 'o1', T, LEASE);
      const expected = { ...seeded.tx, leaseOwner: 'o1', leaseUntil: T + LEASE, fence: 5 };
      assert.deepEqual(claimed, { tx: expected, ops: seeded.ops });
      assert.deepEqual(await store.get('c-free'), claimed);
    }));

  it('claim refuses a live lease, whoever asks, and changes nothing', () =>
    withStore(open, async (store) => {
      await seedTx(store, 'c-held', { leaseOwner: 'o1', leaseUntil: T + LEASE, fence: 1 });
      const before = await mustGet(store, 'c-held');
      assert.equal(await store.claim('c-held', 'o2', T + LEASE - 1, LEASE), undefined);
      // The holder drives it already; a second claim would fence its own writes off.
      assert.equal(await store.claim('c-held', 'o1', T, LEASE), undefined);
      assert.deepEqual(await store.get('c-held'), before);
    }));

  it('claim takes an expired lease, raising the fence so the old holder is shut out', () =>
    withStore(open, async (store) => {
      const seeded = await seedTx(store, 'c-exp', { leaseOwner: 'o1', leaseUntil: T, fence: 1 });
      const claimed = await store.claim('c-exp', 'o2', T, LEASE);
      assert.ok(claimed);
      assert.deepEqual(claimed.tx, {
        ...seeded.tx,
        leaseOwner: 'o2',
        leaseUntil: T + LEASE,
        fence: 2,
      });
      assert.deepEqual(await writeAll(store, [writeOf(seeded.tx, 1, { status: 'failed' })]), [
        false,
      ]);
      assert.deepEqual(await writeAll(store, [writeOf(seeded.tx, 2, { status: 'aborting' })]), [
        true,
      ]);
      assert.equal((await mustGet(store, 'c-exp')).tx.status, 'aborting');
    }));

  it('claim returns undefined for terminal and unknown transactions; takes parked ones', () =>
    withStore(open, async (store) => {
      await seedTx(store, 'c-ok', { status: 'succeeded', finishedAt: T, nextAttemptAt: null });
      await seedTx(store, 'c-ko', { status: 'failed', finishedAt: T, nextAttemptAt: null });
      await seedTx(store, 'c-parked', { status: 'aborting', parked: true, nextAttemptAt: null });
      assert.equal(await store.claim('c-ok', 'o', T, LEASE), undefined);
      assert.equal(await store.claim('c-ko', 'o', T, LEASE), undefined);
      assert.equal(await store.claim('c-none', 'o', T, LEASE), undefined);
      assert.equal((await mustGet(store, 'c-ok')).tx.fence, 0);
      const parked = await store.claim('c-parked', 'o', T, LEASE);
      assert.equal(parked?.tx.parked, true);
      assert.equal(parked?.tx.fence, 1);
    }));

  it('concurrent claims of one transaction: exactly one winner', () =>
    withStore(open, async (store) => {
      await seedTx(store, 'c-race', {});
      const owners = Array.from({ length: 8 }, (_, i) => `o${i}`);
      const results = await Promise.all(owners.map((o) => store.claim('c-race', o, T, LEASE)));
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      const stored = await mustGet(store, 'c-race');
      assert.equal(stored.tx.fence, 1);
      assert.equal(stored.tx.leaseOwner, winners[0]?.tx.leaseOwner);
    }));

  it('claimDue takes due work earliest first and nothing else', () =>
    withStore(open, async (store) => {
      const due = { status: 'submitted' as const };
      await seedTx(store, 'd-20', { ...due, nextAttemptAt: T - 20 });
      await seedTx(store, 'd-30', { ...due, status: 'aborting', nextAttemptAt: T - 30 });
      await seedTx(store, 'd-10', { ...due, status: 'prepared', nextAttemptAt: T - 10 });
      await seedTx(store, 'd-now', { ...due, nextAttemptAt: T });
      await seedTx(store, 'd-exp', {
        nextAttemptAt: T - 5,
        leaseOwner: 'x',
        leaseUntil: T,
        fence: 3,
      });
      await seedTx(store, 'n-future', { nextAttemptAt: T + 1 });
      await seedTx(store, 'n-null', { nextAttemptAt: null });
      await seedTx(store, 'n-parked', { nextAttemptAt: T - 50, parked: true });
      await seedTx(store, 'n-done', { status: 'succeeded', nextAttemptAt: T - 50 });
      await seedTx(store, 'n-failed', { status: 'failed', nextAttemptAt: T - 50 });
      await seedTx(store, 'n-held', {
        nextAttemptAt: T - 50,
        leaseOwner: 'x',
        leaseUntil: T + 1,
        fence: 1,
      });
      const claimed = await store.claimDue('me', T, LEASE, 100);
      assert.deepEqual(
        claimed.map((s) => s.tx.gid),
        ['d-30', 'd-20', 'd-10', 'd-exp', 'd-now'],
      );
      for (const s of claimed) {
        assert.equal(s.tx.leaseOwner, 'me');
        assert.equal(s.tx.leaseUntil, T + LEASE);
        assert.equal(s.tx.fence, s.tx.gid === 'd-exp' ? 4 : 1);
        assert.equal(s.ops.length, 4);
        assert.deepEqual(await store.get(s.tx.gid), s);
      }
      for (const gid of ['n-future', 'n-null', 'n-parked', 'n-done', 'n-failed']) {
        assert.equal((await mustGet(store, gid)).tx.fence, 0, gid);
      }
      assert.equal((await mustGet(store, 'n-held')).tx.leaseOwner, 'x');
      assert.deepEqual(await store.claimDue('me', T, LEASE, 100), []);
    }));

  it('claimDue honours the limit and hands out each lease once until it expires', () =>
    withStore(open, async (store) => {
      for (let i = 1; i <= 5; i += 1) await seedTx(store, `l-${i}`, { nextAttemptAt: T - 100 + i });
      assert.deepEqual(await store.claimDue('me', T, LEASE, 0), []);
      const gids = async (owner: string, now: number, limit: number) =>
        (await store.claimDue(owner, now, LEASE, limit)).map((s) => s.tx.gid);
      assert.deepEqual(await gids('o1', T, 2), ['l-1', 'l-2']);
      assert.deepEqual(await gids('o2', T, 2), ['l-3', 'l-4']);
      assert.deepEqual(await gids('o3', T, 2), ['l-5']);
      assert.deepEqual(await gids('o4', T + LEASE - 1, 10), []);
      const again = await store.claimDue('o4', T + LEASE, LEASE, 10);
      assert.deepEqual(
        again.map((s) => [s.tx.gid, s.tx.fence]),
        [
          ['l-1', 2],
          ['l-2', 2],
          ['l-3', 2],
          ['l-4', 2],
          ['l-5', 2],
        ],
      );
    }));

  it('concurrent claimDue: 5 claimers x 200 due, each claimed exactly once', () =>
    withStore(open, async (store, handle) => {
      const total = 200;
      const gids = Array.from({ length: total }, (_, i) => `cc-${String(i).padStart(3, '0')}`);
      for (let i = 0; i < total; i += 20) {
        await Promise.all(
          gids
            .slice(i, i + 20)
            .map((gid, j) => seed(store, txRecord(gid, { nextAttemptAt: T - ((i + j) % 37) }), [])),
        );
      }
      // With a second instance on the same storage, claimers are spread over both.
      const other = handle.openAnother ? await handle.openAnother() : store;
      const claimers = Array.from({ length: 5 }, (_, i) => ({
        owner: `claimer-${i}`,
        store: i % 2 === 0 ? store : other,
        got: [] as string[],
      }));
      await Promise.all(
        claimers.map(async (c) => {
          for (;;) {
            const batch = await c.store.claimDue(c.owner, T, 60_000, 7);
            if (batch.length === 0) return;
            c.got.push(...batch.map((s) => s.tx.gid));
          }
        }),
      );
      const all = claimers.flatMap((c) => c.got);
      assert.equal(all.length, total, 'every due transaction claimed once, none twice');
      assert.deepEqual([...new Set(all)].sort(), gids);
      for (const c of claimers) {
        for (const gid of c.got.slice(0, 10)) {
          const tx = (await mustGet(store, gid)).tx;
          assert.deepEqual([tx.leaseOwner, tx.fence], [c.owner, 1], gid);
        }
      }
      const page = await store.list({ limit: 1000 });
      assert.ok(page.items.every((tx) => tx.fence === 1 && tx.leaseUntil === T + 60_000));
      assert.deepEqual(await store.claimDue('late', T, LEASE, 10), []);
    }));

  it('renew extends only leases whose owner and fence match, answering in order', () =>
    withStore(open, async (store) => {
      await seedTx(store, 'r-1', {});
      await seedTx(store, 'r-2', {});
      const c1 = await store.claim('r-1', 'me', T, LEASE);
      const c2 = await store.claim('r-2', 'me', T, LEASE);
      assert.ok(c1 && c2);
      assert.deepEqual(await store.renew([], 'me', T + 5000), []);
      const leases = [
        { gid: 'r-1', fence: 1 },
        { gid: 'r-2', fence: 7 },
        { gid: 'r-none', fence: 1 },
        { gid: 'r-2', fence: 1 },
      ];
      assert.deepEqual(await store.renew(leases, 'me', T + 5000), [true, false, false, true]);
      assert.deepEqual((await mustGet(store, 'r-1')).tx, { ...c1.tx, leaseUntil: T + 5000 });
      assert.deepEqual(await store.renew([{ gid: 'r-1', fence: 1 }], 'other', T + 9000), [false]);
      assert.equal((await mustGet(store, 'r-1')).tx.leaseUntil, T + 5000);
      // Taken over after expiry: the old holder can no longer renew.
      assert.ok(await store.claim('r-2', 'thief', T + 5000, LEASE));
      assert.deepEqual(await store.renew([{ gid: 'r-2', fence: 1 }], 'me', T + 9000), [false]);
      assert.equal((await mustGet(store, 'r-2')).tx.leaseOwner, 'thief');
    }));

  it('a write with release frees the lease (owner null, expiry 0) and keeps the fence', () =>
    withStore(open, async (store) => {
      const snap = sagaSnapshot('rel-1', T, { owner: 'o1', until: T + LEASE });
      await seed(store, snap.tx, snap.ops);
      const release = writeOf(snap.tx, 1, { updatedAt: T + 1 }, { release: true });
      assert.deepEqual(await writeAll(store, [release]), [true]);
      const freed = (await mustGet(store, 'rel-1')).tx;
      assert.deepEqual(freed, { ...snap.tx, updatedAt: T + 1, leaseOwner: null, leaseUntil: 0 });
      const taken = await store.claim('rel-1', 'o2', T + 2, LEASE);
      assert.equal(taken?.tx.fence, 2);
      assert.equal(taken?.tx.leaseOwner, 'o2');
    }));
}
