/**
 * Conformance cases: global row locks (all-or-none acquisition, one holder per key,
 * release by key, by transaction, with the write that ends it and on purge; races).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LockResult, RowLockStore, Store } from '@accord/core';
import { mustGet, seed, T, txRecord, withStore, writeAll, writeOf } from './fixtures.js';
import type { OpenConformanceStore } from './fixtures.js';

const key = (pk: string | number) => `orders-db:stock:${pk}`;

async function keysOf(locks: RowLockStore, gid: string): Promise<string[]> {
  return (await locks.heldBy(gid)).map((l) => l.key);
}

/** Seeds open transactions to own locks (stores may tie locks to stored transactions). */
async function seedAll(store: Store, gids: readonly string[]): Promise<void> {
  for (const gid of gids) await seed(store, txRecord(gid));
}

/** A small deterministic generator, so a failing race replays the same requests. */
function generator(seedValue: number): () => number {
  let s = seedValue >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Registers the row-lock cases. */
export function lockCases(open: OpenConformanceStore): void {
  it('takes every key of a request, owned by its transaction and branch, in key order', () =>
    withStore(open, async (store) => {
      await seedAll(store, ['g1']);
      const taken = await store.locks.acquire({
        gid: 'g1',
        branchId: 'b1',
        keys: [key(2), key(1), key(2), 'other-db:users:a:b'],
        now: T,
      });
      assert.deepEqual(taken, {
        acquired: true,
        added: [key(1), key(2), 'other-db:users:a:b'],
      });
      assert.deepEqual(await store.locks.heldBy('g1'), [
        { key: key(1), gid: 'g1', branchId: 'b1', acquiredAt: T },
        { key: key(2), gid: 'g1', branchId: 'b1', acquiredAt: T },
        { key: 'other-db:users:a:b', gid: 'g1', branchId: 'b1', acquiredAt: T },
      ]);
      assert.deepEqual(await store.locks.heldBy('nobody'), []);
      assert.deepEqual(await store.locks.acquire({ gid: 'g1', branchId: 'b1', keys: [], now: T }), {
        acquired: true,
        added: [],
      });
    }));

  it('counts keys the same transaction holds as taken, keeping their first branch', () =>
    withStore(open, async (store) => {
      await seedAll(store, ['g1']);
      await store.locks.acquire({ gid: 'g1', branchId: 'b1', keys: [key(1), key(2)], now: T });
      const again = await store.locks.acquire({
        gid: 'g1',
        branchId: 'b2',
        keys: [key(2), key(3)],
        now: T + 1,
      });
      assert.deepEqual(again, { acquired: true, added: [key(3)] });
      const held = await store.locks.heldBy('g1');
      assert.deepEqual(
        held.map((l) => [l.key, l.branchId, l.acquiredAt]),
        [
          [key(1), 'b1', T],
          [key(2), 'b1', T],
          [key(3), 'b2', T + 1],
        ],
      );
    }));

  it('refuses a request with any key held elsewhere, naming the holder, and takes none', () =>
    withStore(open, async (store) => {
      await seedAll(store, ['g1', 'g2', 'g3']);
      await store.locks.acquire({ gid: 'g1', branchId: 'b1', keys: [key(5)], now: T });
      const refused = await store.locks.acquire({
        gid: 'g2',
        branchId: 'x',
        keys: [key(4), key(5), key(6)],
        now: T + 1,
      });
      assert.deepEqual(refused, {
        acquired: false,
        conflict: { key: key(5), gid: 'g1', branchId: 'b1', acquiredAt: T },
      });
      assert.deepEqual(await keysOf(store.locks, 'g2'), [], 'all or none');
      const free = await store.locks.acquire({
        gid: 'g3',
        branchId: 'y',
        keys: [key(4), key(6)],
        now: T + 2,
      });
      assert.deepEqual(
        free,
        { acquired: true, added: [key(4), key(6)] },
        'nothing was left behind',
      );
    }));

  it('releases the given keys of a holder, or all of its keys, and never those of others', () =>
    withStore(open, async (store) => {
      await seedAll(store, ['g1', 'g2']);
      await store.locks.acquire({
        gid: 'g1',
        branchId: 'b',
        keys: [key(1), key(2), key(3)],
        now: T,
      });
      await store.locks.acquire({ gid: 'g2', branchId: 'b', keys: [key(9)], now: T });
      assert.equal(await store.locks.release('g2', [key(1)]), 0, 'not the holder');
      assert.equal(await store.locks.release('g1', [key(2), key(9), key(7)]), 1);
      assert.deepEqual(await keysOf(store.locks, 'g1'), [key(1), key(3)]);
      assert.equal(await store.locks.release('g1', []), 0);
      assert.equal(await store.locks.release('g1'), 2);
      assert.deepEqual(await keysOf(store.locks, 'g1'), []);
      assert.deepEqual(await keysOf(store.locks, 'g2'), [key(9)]);
      const retaken = await store.locks.acquire({
        gid: 'g2',
        branchId: 'c',
        keys: [key(1)],
        now: T,
      });
      assert.equal(retaken.acquired, true, 'a released key is free again');
    }));

  it('releases every lock of a transaction with the write that ends it, and only then', () =>
    withStore(open, async (store) => {
      await seedAll(store, ['g1', 'g2']);
      await store.locks.acquire({ gid: 'g1', branchId: 'b', keys: [key(1), key(2)], now: T });
      await store.locks.acquire({ gid: 'g2', branchId: 'b', keys: [key(3)], now: T });
      const tx = (await mustGet(store, 'g1')).tx;
      const moved = writeOf(tx, tx.fence, { status: 'aborting', updatedAt: T + 1 });
      assert.deepEqual(await writeAll(store, [moved]), [true]);
      assert.deepEqual(await keysOf(store.locks, 'g1'), [key(1), key(2)], 'still open');
      const ending = {
        ...writeOf(tx, tx.fence, { status: 'failed', updatedAt: T + 2, finishedAt: T + 2 }),
        releaseLocks: true,
      };
      const stale = { ...ending, fence: tx.fence + 1 };
      assert.deepEqual(await writeAll(store, [stale]), [false]);
      assert.deepEqual(await keysOf(store.locks, 'g1'), [key(1), key(2)], 'a fenced-out write');
      assert.deepEqual(await writeAll(store, [ending]), [true]);
      assert.deepEqual(await keysOf(store.locks, 'g1'), []);
      assert.deepEqual(await keysOf(store.locks, 'g2'), [key(3)], 'others keep theirs');
    }));

  it('releases the locks of a purged transaction', () =>
    withStore(open, async (store) => {
      await seedAll(store, ['g1']);
      const tx = (await mustGet(store, 'g1')).tx;
      await store.locks.acquire({ gid: 'g1', branchId: 'b', keys: [key(1)], now: T });
      const done = writeOf(tx, tx.fence, { status: 'succeeded', updatedAt: T, finishedAt: T + 1 });
      assert.deepEqual(await writeAll(store, [done]), [true]);
      assert.deepEqual(await keysOf(store.locks, 'g1'), [key(1)], 'no releaseLocks asked');
      assert.equal(await store.purgeTerminal(T + 2, 10), 1);
      assert.deepEqual(await keysOf(store.locks, 'g1'), []);
    }));

  it('of many racing requests over overlapping keys, no two transactions hold one key', () =>
    withStore(open, async (store, handle) => {
      const other = handle.openAnother ? await handle.openAnother() : store;
      const gids = Array.from({ length: 12 }, (_, i) => `race-${i}`);
      await seedAll(store, gids);
      const random = generator(20_240_601);
      const pool = Array.from({ length: 8 }, (_, i) => key(`p${i}`));
      for (let round = 0; round < 6; round += 1) {
        const requests = gids.map((gid) => {
          const count = 1 + Math.floor(random() * 4);
          const keys = Array.from(
            { length: count },
            () => pool[Math.floor(random() * pool.length)]!,
          );
          return { gid, branchId: `r${round}`, keys, now: T + round };
        });
        const results: LockResult[] = await Promise.all(
          requests.map((r, i) => (i % 2 === 0 ? store : other).locks.acquire(r)),
        );
        const owner = new Map<string, string>();
        for (const [i, result] of results.entries()) {
          const request = requests[i]!;
          const held = await keysOf(store.locks, request.gid);
          if (!result.acquired) {
            assert.deepEqual(held, [], `${request.gid}: all or none`);
            assert.ok(request.keys.includes(result.conflict.key));
            assert.notEqual(result.conflict.gid, request.gid);
            continue;
          }
          assert.deepEqual(held, [...new Set(request.keys)].sort(), `${request.gid}: all of them`);
          for (const k of held) {
            assert.equal(
              owner.get(k),
              undefined,
              `${k} held by ${owner.get(k)} and ${request.gid}`,
            );
            owner.set(k, request.gid);
          }
        }
        assert.ok(owner.size > 0, 'someone won');
        for (const [i, result] of results.entries()) {
          if (!result.acquired) {
            assert.equal(
              owner.get(result.conflict.key),
              result.conflict.gid,
              'the named holder holds it',
            );
          }
          await store.locks.release(requests[i]!.gid);
        }
      }
    }));
}
