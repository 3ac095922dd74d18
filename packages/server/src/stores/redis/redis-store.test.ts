import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  createTempClusterKeyPrefix,
  createTempKeyPrefix,
  requireRedisCluster,
  requireService,
  type TempKeyPrefix,
} from '@accord/testkit';
import {
  T,
  sagaSnapshot,
  seed,
  storeConformance,
  txRecord,
  writeAll,
  writeOf,
} from '@accord/store-conformance';
import { parseRedisStoreUrl } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import { RedisStore, type RedisFaultPoint, type RedisStoreOptions } from './redis-store.js';

const skip = await requireService('redis');
// `npm test` starts a private 3-master cluster (scripts/redis-cluster.mjs).
const clusterSkip = await requireRedisCluster();

/** The hash tag Redis Cluster hashes a key by (the whole key if it has none). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** A store on a fresh key prefix (on the Redis Cluster with `cluster`), and a way to drop it. */
function freshStore(options: Partial<RedisStoreOptions> = {}, cluster = false) {
  const prefix: TempKeyPrefix = cluster
    ? createTempClusterKeyPrefix('accord_store')
    : createTempKeyPrefix('accord_store');
  const stores: RedisStore[] = [];
  const open = (extra: Partial<RedisStoreOptions> = {}) => {
    const store = new RedisStore({
      url: prefix.url,
      cluster,
      keyPrefix: prefix.prefix,
      ...options,
      ...extra,
    });
    stores.push(store);
    return store;
  };
  return {
    prefix,
    open,
    async drop() {
      for (const store of stores) await store.close();
      await prefix.drop();
    },
  };
}

/** Stores of one kind (standalone or cluster) on fresh key prefixes. */
type FreshStore = (options?: Partial<RedisStoreOptions>) => ReturnType<typeof freshStore>;

/**
 * A crash between the steps of a change must never lose due work nor leave indexes
 * wrong for good: the next claimDue visit repairs them.
 */
function crashCases(freshOf: FreshStore): void {
  for (const point of ['after-begin', 'after-apply'] as RedisFaultPoint[]) {
    it(`a crash ${point} of a write leaves work findable and indexes repairable`, async () => {
      let armed = false;
      const fresh = freshOf({
        faults: (at) => {
          if (armed && at === point) throw new Error(`crash at ${at}`);
        },
      });
      try {
        const store = fresh.open();
        await store.migrate();
        const snap = sagaSnapshot('crash-1', T, { owner: 'o1', until: T + 1000 });
        await seed(store, { ...snap.tx, parked: true, nextAttemptAt: null }, snap.ops);
        assert.equal(await store.countParked(), 1);
        armed = true;
        const unpark = writeOf(snap.tx, 1, { parked: false, nextAttemptAt: T + 10 });
        await assert.rejects(writeAll(store, [unpark]), /crash/);
        armed = false;
        const applied = point === 'after-apply';
        assert.equal((await store.get('crash-1'))?.tx.parked, !applied);
        // Released lease and due time passed: a claimer finds it (if the write applied).
        const later = T + 5000;
        const claimed = await store.claimDue('o2', later, 1000, 10);
        assert.deepEqual(
          claimed.map((s) => s.tx.gid),
          applied ? ['crash-1'] : [],
        );
        // The visit settled the record's real state into every index.
        assert.equal(await store.countParked(), applied ? 0 : 1);
      } finally {
        await fresh.drop();
      }
    });
  }

  it('a lost index update of a terminal write is repaired on the next visit', async () => {
    let crash = false;
    const fresh = freshOf({
      faults: (at) => {
        if (crash && at === 'after-apply') throw new Error('crash');
      },
    });
    try {
      const store = fresh.open();
      await store.migrate();
      const snap = sagaSnapshot('term-1', T, { owner: 'o1', until: T + 1000 });
      await seed(store, { ...snap.tx, nextAttemptAt: T + 100 }, snap.ops);
      crash = true;
      const done = writeOf(snap.tx, 1, { status: 'succeeded', finishedAt: T + 1 });
      await assert.rejects(writeAll(store, [{ ...done, release: true }]));
      crash = false;
      assert.equal(await store.purgeTerminal(T + 10, 10), 0, 'retention index not yet set');
      assert.deepEqual(await store.claimDue('o2', T + 2000, 1000, 10), []);
      assert.equal(await store.purgeTerminal(T + 10, 10), 1, 'repaired by the visit');
      assert.equal(await store.get('term-1'), undefined);
    } finally {
      await fresh.drop();
    }
  });
}

describe('redis store', { skip: skip ?? false }, () => {
  storeConformance('redis', () => {
    const fresh = freshStore();
    return Promise.resolve({
      store: fresh.open(),
      openAnother: () => Promise.resolve(fresh.open()),
      cleanup: () => fresh.drop(),
    });
  });

  storeConformance('redis (one index shard)', () => {
    const fresh = freshStore({ dueShards: 1 });
    return Promise.resolve({
      store: fresh.open(),
      openAnother: () => Promise.resolve(fresh.open()),
      cleanup: () => fresh.drop(),
    });
  });

  describe('redis store specifics', () => {
    it('keeps every key of one transaction in one hash slot, and shards in others', () => {
      const keys = new RedisKeys('accord:', 16);
      for (const gid of ['order-1', 'a}b', '{x}', '%7D', 'naïve ✓']) {
        const k = keys.tx(gid);
        assert.equal(new Set([k.rec, k.ops, k.hist].map(hashTag)).size, 1, gid);
        const s = keys.shard(keys.shardOf(gid));
        const shardKeys = [s.due, s.created, s.done, s.parked, s.rev, s.intent(gid)];
        assert.equal(new Set(shardKeys.map(hashTag)).size, 1, gid);
      }
      assert.notEqual(hashTag(keys.tx('a}b').rec), hashTag(keys.tx('a').rec));
      const tags = new Set(keys.allShards().map((s) => hashTag(s.due)));
      assert.equal(tags.size, 16);
      assert.throws(() => new RedisKeys('bad{prefix', 16), /must not contain/);
    });

    it('reads prefix, shards, cluster and durable from the URL and strips them', () => {
      const parsed = parseRedisStoreUrl(
        'rediss://:pw@cache:6380/2?prefix=pay:&shards=32&cluster=true&durable=1&family=6',
      );
      assert.deepEqual(parsed, {
        url: 'rediss://:pw@cache:6380/2?family=6',
        cluster: true,
        keyPrefix: 'pay:',
        dueShards: 32,
        durableCommits: true,
      });
      assert.throws(() => parseRedisStoreUrl('redis://h?shards=0'), /shards/);
      assert.throws(() => parseRedisStoreUrl('redis://h?durable=maybe'), /durable/);
    });

    it('says commits are not durable unless told, and shares storage between instances', async () => {
      const fresh = freshStore();
      try {
        assert.equal(fresh.open().capabilities.durableCommits, false);
        assert.equal(fresh.open({ durableCommits: true }).capabilities.durableCommits, true);
        assert.equal(fresh.open().capabilities.sharedByInstances, true);
      } finally {
        await fresh.drop();
      }
    });

    it('keeps the shard count of the first migrate, refusing an explicit other one', async () => {
      const fresh = freshStore();
      try {
        await fresh.open({ dueShards: 4 }).migrate();
        const adopted = fresh.open({ dueShards: undefined });
        await adopted.migrate();
        await seed(adopted, txRecord('s-1', { nextAttemptAt: T - 1 }));
        const four = fresh.open({ dueShards: 4 });
        await four.migrate();
        assert.deepEqual(
          (await four.claimDue('o', T, 1000, 10)).map((s) => s.tx.gid),
          ['s-1'],
        );
        await assert.rejects(fresh.open({ dueShards: 8 }).migrate(), /4 shards, not 8/);
      } finally {
        await fresh.drop();
      }
    });

    it('works on a client the caller owns, and leaves it open on close', async () => {
      const prefix = createTempKeyPrefix('accord_store');
      const client = new Redis(prefix.url, { maxRetriesPerRequest: 1 });
      try {
        const store = new RedisStore({ client, keyPrefix: prefix.prefix });
        await store.migrate();
        await seed(store, txRecord('own-1'));
        await store.close();
        await assert.rejects(store.get('own-1'), /closed/);
        assert.equal(await client.ping(), 'PONG');
      } finally {
        await prefix.drop();
        client.disconnect();
      }
    });

    crashCases(freshStore);

    it('concurrent claims, writes and renewals keep due work findable, the other indexes exact', async () => {
      const fresh = freshStore({ dueShards: 4 });
      const redis = new Redis(fresh.prefix.url, { maxRetriesPerRequest: 1 });
      try {
        const first = fresh.open();
        const stores = [first, fresh.open()];
        await first.migrate();
        const gids = Array.from({ length: 12 }, (_, i) => `mix-${i}`);
        for (const gid of gids) await seed(first, txRecord(gid, { nextAttemptAt: T }));
        let seed32 = 11;
        const rand = (n: number) => {
          seed32 = (seed32 * 1_103_515_245 + 12_345) % 2_147_483_648;
          return Math.floor(seed32 / 65_536) % n; // high bits: the low ones of an LCG cycle
        };
        let applied = 0;
        const actor = async (a: number) => {
          const store = stores[a % 2] as RedisStore;
          for (let step = 0; step < 40; step += 1) {
            const now = T + step * 600 + rand(500);
            const owner = `actor-${a}`;
            const got =
              rand(2) === 0
                ? await store.claimDue(owner, now, 1000, 2)
                : [await store.claim(gids[rand(gids.length)] ?? '', owner, now, 1000)];
            for (const snap of got) {
              if (!snap) continue;
              if (rand(3) === 0)
                await store.renew([{ gid: snap.tx.gid, fence: snap.tx.fence }], owner, now + 3000);
              // Mostly live work; now and then finished, parked or without a due time.
              const terminal = rand(10) === 0;
              const status = terminal
                ? ((['succeeded', 'failed'] as const)[rand(2)] ?? 'failed')
                : ((['submitted', 'aborting'] as const)[rand(2)] ?? 'aborting');
              const fields = {
                status,
                parked: !terminal && rand(8) === 0,
                nextAttemptAt: terminal || rand(8) === 0 ? null : now + rand(10) * 300,
                finishedAt: terminal ? now : null,
                updatedAt: now,
              };
              const [ok] = await writeAll(store, [
                writeOf(snap.tx, snap.tx.fence, fields, { release: rand(2) === 0 }),
              ]);
              if (ok) applied += 1;
            }
          }
        };
        await Promise.all([0, 1, 2, 3, 4, 5].map(actor));
        // How many writes win depends on how the actors interleave; a handful is enough
        // to show the mix ran, and the index checks below are what this test is about.
        assert.ok(applied >= 10, `only ${applied} writes applied`);
        const keys = new RedisKeys(fresh.prefix.prefix, 4);
        for (const gid of gids) {
          const tx = (await first.get(gid))?.tx;
          assert.ok(tx, gid);
          const s = keys.shard(keys.shardOf(gid));
          const terminal = tx.status === 'succeeded' || tx.status === 'failed';
          const due = await redis.zscore(s.due, gid);
          if (!terminal && !tx.parked && tx.nextAttemptAt !== null) {
            assert.ok(due !== null, `${gid} is findable`);
            assert.ok(Number(due) <= Math.max(tx.nextAttemptAt, tx.leaseUntil), `${gid} not late`);
          }
          assert.equal(await redis.sismember(s.parked, gid), !terminal && tx.parked ? 1 : 0, gid);
          const done = await redis.zscore(s.done, gid);
          assert.equal(
            done,
            terminal && tx.finishedAt !== null ? String(tx.finishedAt) : null,
            gid,
          );
          assert.equal(await redis.exists(s.intent(gid)), 0, `${gid} has no intent left`);
        }
      } finally {
        redis.disconnect();
        await fresh.drop();
      }
    });

    it('removes every key of purged transactions', async () => {
      const fresh = freshStore();
      const redis = new Redis(fresh.prefix.url, { maxRetriesPerRequest: 1 });
      try {
        const store = fresh.open();
        await store.migrate();
        const snap = sagaSnapshot('gone-1');
        await seed(store, { ...snap.tx, status: 'failed', finishedAt: T, nextAttemptAt: null });
        assert.equal(await store.purgeTerminal(T + 1, 10), 1);
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', `*${fresh.prefix.prefix}*`);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
        assert.deepEqual(keys, [`{${fresh.prefix.prefix}meta}`]);
      } finally {
        redis.disconnect();
        await fresh.drop();
      }
    });
  });
});

describe('redis store on Redis Cluster', { skip: clusterSkip ?? false }, () => {
  storeConformance('redis cluster', () => {
    const fresh = freshStore({}, true);
    return Promise.resolve({
      store: fresh.open(),
      openAnother: () => Promise.resolve(fresh.open()),
      cleanup: () => fresh.drop(),
    });
  });

  describe('redis cluster specifics', () => {
    crashCases((options) => freshStore(options, true));
  });
});
