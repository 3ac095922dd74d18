/** Conformance cases: key-value entries (create, update, delete by version; listing; races). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compareKeys, KV_LIMITS, type KeyValueStore } from '@accord/core';
import { withStore, type OpenConformanceStore } from './fixtures.js';

const NS = 'conformance';

async function keysOf(kv: KeyValueStore, namespace: string, limit: number): Promise<string[]> {
  const keys: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await kv.list(namespace, { after, limit });
    assert.ok(page.items.length <= limit);
    keys.push(...page.items.map((e) => e.key));
    if (page.nextAfter === null) return keys;
    assert.equal(page.nextAfter, keys[keys.length - 1]);
    after = page.nextAfter;
  }
}

/** Registers the key-value cases. */
export function keyValueCases(open: OpenConformanceStore): void {
  it('creates an entry once, at version 1, and reads it back as stored', () =>
    withStore(open, async ({ kv }) => {
      const value = { subscribers: [{ url: 'http://svc.test/a', remark: 'é ✓' }], n: 1.5 };
      assert.deepEqual(await kv.create(NS, 'topic-a', value), {
        namespace: NS,
        key: 'topic-a',
        value,
        version: 1,
      });
      assert.equal(await kv.create(NS, 'topic-a', { other: true }), undefined);
      assert.deepEqual(await kv.get(NS, 'topic-a'), {
        namespace: NS,
        key: 'topic-a',
        value,
        version: 1,
      });
      assert.equal(await kv.get(NS, 'missing'), undefined);
      for (const [key, v] of [
        ['s', 'text'],
        ['n', 0],
        ['a', [1, null]],
        ['z', null],
      ] as const) {
        await kv.create(NS, key, v);
        assert.deepEqual((await kv.get(NS, key))?.value, v, key);
      }
    }));

  it('updates only at the version read, raising it by one', () =>
    withStore(open, async ({ kv }) => {
      await kv.create(NS, 'k', { n: 1 });
      const second = await kv.update(NS, 'k', { n: 2 }, 1);
      assert.deepEqual(second, { namespace: NS, key: 'k', value: { n: 2 }, version: 2 });
      assert.equal(await kv.update(NS, 'k', { n: 3 }, 1), undefined, 'stale version');
      assert.equal(await kv.update(NS, 'k', { n: 3 }, 7), undefined, 'future version');
      assert.equal(await kv.update(NS, 'absent', { n: 1 }, 1), undefined, 'no such key');
      assert.equal(await kv.get(NS, 'absent'), undefined, 'an update creates nothing');
      assert.deepEqual(await kv.get(NS, 'k'), second);
    }));

  it('deletes only at the version read; the key can then be created afresh', () =>
    withStore(open, async ({ kv }) => {
      await kv.create(NS, 'k', 'one');
      await kv.update(NS, 'k', 'two', 1);
      assert.equal(await kv.delete(NS, 'k', 1), false);
      assert.equal((await kv.get(NS, 'k'))?.value, 'two');
      assert.equal(await kv.delete(NS, 'k', 2), true);
      assert.equal(await kv.get(NS, 'k'), undefined);
      assert.equal(await kv.delete(NS, 'k', 2), false, 'already gone');
      assert.equal((await kv.create(NS, 'k', 'three'))?.version, 1);
    }));

  it('keeps namespaces apart', () =>
    withStore(open, async ({ kv }) => {
      await kv.create('ns.one', 'same', 1);
      await kv.create('ns-two', 'same', 2);
      assert.equal((await kv.get('ns.one', 'same'))?.value, 1);
      assert.equal((await kv.get('ns-two', 'same'))?.value, 2);
      assert.equal(await kv.delete('ns.one', 'same', 1), true);
      assert.equal((await kv.get('ns-two', 'same'))?.value, 2);
      assert.deepEqual(await keysOf(kv, 'ns-two', 10), ['same']);
      assert.deepEqual(await kv.list('empty', { limit: 10 }), { items: [], nextAfter: null });
    }));

  it('lists a namespace in UTF-8 byte order, page by page', () =>
    withStore(open, async ({ kv }) => {
      // Keys that sort differently by locale, case, UTF-16 units and bytes; a trailing
      // space (equal to none in padding collations); characters that delimit keys.
      const keys = [
        'b',
        'B',
        'a',
        'a ',
        'a b',
        'a:b',
        'a{x}',
        'a}',
        'ä',
        'é',
        '\uFF5E',
        '😀',
        'z',
        '10',
        '9',
      ];
      for (const key of keys) await kv.create(NS, key, { key });
      await kv.create('other', 'a', 0);
      const sorted = [...keys].sort(compareKeys);
      assert.deepEqual(await keysOf(kv, NS, 100), sorted);
      assert.deepEqual(await keysOf(kv, NS, 3), sorted);
      assert.deepEqual(await keysOf(kv, NS, 1), sorted);
      const page = await kv.list(NS, { after: 'a}', limit: 2 });
      assert.deepEqual(
        page.items.map((e) => [e.key, e.value, e.version]),
        sorted
          .slice(sorted.indexOf('a}') + 1, sorted.indexOf('a}') + 3)
          .map((k) => [k, { key: k }, 1]),
      );
      const huge = await kv.list(NS, { limit: 10 ** 9 });
      assert.equal(huge.items.length, keys.length, `a limit is clamped to ${KV_LIMITS.list}`);
    }));

  it('of racing writers on one entry, exactly one wins each round', () =>
    withStore(open, async (store, handle) => {
      const other = handle.openAnother ? await handle.openAnother() : store;
      const [a, b] = [store.kv, other.kv];
      const created = await Promise.all([a.create(NS, 'race', 'a'), b.create(NS, 'race', 'b')]);
      assert.equal(created.filter(Boolean).length, 1, 'one create wins');
      const winner = created.find(Boolean)!;
      assert.deepEqual((await a.get(NS, 'race'))?.value, winner.value);
      let version = 1;
      for (let round = 0; round < 10; round += 1) {
        const results = await Promise.all([
          a.update(NS, 'race', `a${round}`, version),
          b.update(NS, 'race', `b${round}`, version),
        ]);
        const won = results.filter((r) => r !== undefined);
        assert.equal(won.length, 1, `round ${round}`);
        version += 1;
        assert.deepEqual(await b.get(NS, 'race'), won[0]);
      }
      const deleted = await Promise.all([
        a.delete(NS, 'race', version),
        b.delete(NS, 'race', version),
      ]);
      assert.deepEqual(deleted.filter(Boolean), [true]);
    }));

  it('counts every increment of concurrent read-modify-write loops', () =>
    withStore(open, async (store, handle) => {
      const other = handle.openAnother ? await handle.openAnother() : store;
      await store.kv.create(NS, 'counter', 0);
      const increment = async (kv: KeyValueStore, times: number) => {
        for (let done = 0; done < times;) {
          const current = await kv.get(NS, 'counter');
          assert.ok(current);
          if (await kv.update(NS, 'counter', (current.value as number) + 1, current.version)) {
            done += 1;
          }
        }
      };
      await Promise.all([
        increment(store.kv, 15),
        increment(other.kv, 15),
        increment(store.kv, 15),
      ]);
      assert.deepEqual(await store.kv.get(NS, 'counter'), {
        namespace: NS,
        key: 'counter',
        value: 45,
        version: 46,
      });
    }));
}
