/**
 * One set of outbox cases every dialect must pass, driven through a small harness each
 * dialect's test file implements on a real database. Not part of the public API.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '@accord/core';
import { waitFor } from '@accord/testkit';
import type { PreparedStatus } from '../../src/barrier/types.js';
import type { OutboxStatus } from '../../src/outbox/sql.js';
import type { OutboxMessageInput, OutboxRelay, RelayOptions } from '../../src/outbox/types.js';
import { PublishRecorder } from './recording-publisher.js';

/** A row as the cases inspect it. */
export interface OutboxRowView {
  readonly id: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly availableAt: number;
  readonly sentAt: number | null;
  readonly lastError: string | null;
  readonly leaseOwner: string | null;
}

/** One isolated outbox (its own tables) on a dialect, using `clock`. */
export interface OutboxFixture {
  /**
   * One business transaction: a business row per message plus `outbox.add`, committed,
   * or rolled back when `fail` (the error is rethrown). Resolves to the message ids.
   */
  produce(messages: OutboxMessageInput[], options?: { fail?: boolean }): Promise<string[]>;
  /** Business rows committed so far. */
  businessRows(): Promise<number>;
  /** A relay on the first connection pool (or handle), or on the second one. */
  relay(options: RelayOptions, pool?: 'first' | 'second'): OutboxRelay;
  /** Every outbox row, oldest first. */
  rows(): Promise<OutboxRowView[]>;
  purgeSent(olderThanMs: number): Promise<number>;
  revive(id: string): Promise<boolean>;
  checkPrepared(id: string): Promise<PreparedStatus>;
  /**
   * Holds a row lock on `id` in an open transaction (as a claim in progress would) until
   * the returned function is called. Absent where the database has no row locks.
   */
  holdRowLock?(id: string): Promise<() => Promise<void>>;
}

/** A dialect under test. */
export interface OutboxHarness {
  open(clock: ManualClock): Promise<OutboxFixture>;
}

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

const message = (i: number, extra: Partial<OutboxMessageInput> = {}): OutboxMessageInput => ({
  topic: 'user.created',
  payload: { userId: `u${i}`, n: i },
  ...extra,
});

const manual = (options: Omit<RelayOptions, 'autoStart' | 'leaseMs'> & { leaseMs?: number }) =>
  ({ leaseMs: LEASE, ...options, autoStart: false }) satisfies RelayOptions;

/** Registers the shared outbox cases; `harness` is resolved once the database is ready. */
export function outboxConformance(name: string, harness: () => OutboxHarness): void {
  describe(`${name}: outbox conformance`, () => {
    const open = async () => {
      const clock = new ManualClock(T0);
      return { clock, fx: await harness().open(clock), rec: new PublishRecorder() };
    };

    test('a rolled-back business transaction publishes nothing; a committed one is published once and marked sent', async () => {
      const { clock, fx, rec } = await open();
      await assert.rejects(fx.produce([message(0)], { fail: true }), /business failed/);
      const ids = await fx.produce([
        message(1, { headers: { 'x-tenant': 'acme' } }),
        message(2, { id: 'caller-chosen-2' }),
      ]);
      assert.equal(ids[1], 'caller-chosen-2');
      assert.match(
        ids[0] ?? '',
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.equal(await fx.businessRows(), 2);
      assert.deepEqual(
        (await fx.rows()).map((r) => [r.id, r.status, r.attempts]),
        ids.map((id) => [id, 'pending', 0]),
      );

      const relay = fx.relay(manual({ publisher: rec.publisher() }));
      clock.advance(5);
      assert.equal(await relay.runOnce(), 2);
      assert.deepEqual(rec.ids(), ids, 'published in order of creation');
      const first = rec.published[0]?.message;
      assert.deepEqual(first, {
        id: ids[0],
        topic: 'user.created',
        payload: { userId: 'u1', n: 1 },
        payloadJson: '{"userId":"u1","n":1}',
        headers: { 'x-tenant': 'acme' },
        createdAt: T0,
        attempt: 1,
      });
      for (const row of await fx.rows()) {
        assert.equal(row.status, 'sent');
        assert.equal(row.sentAt, T0 + 5);
        assert.equal(row.attempts, 1);
        assert.equal(row.leaseOwner, null);
      }
      assert.equal(await relay.runOnce(), 0);
      assert.equal(rec.started.length, 2, 'nothing is published twice');
      await relay.stop();
    });

    test('a duplicate caller-chosen id fails its transaction, which rolls back whole', async () => {
      const { fx } = await open();
      await fx.produce([message(1, { id: 'dup-1' })]);
      await assert.rejects(fx.produce([message(2, { id: 'dup-1' })]));
      assert.equal(await fx.businessRows(), 1);
      assert.equal((await fx.rows()).length, 1);
    });

    test('an invalid message is refused before anything is written', async () => {
      const { fx } = await open();
      await assert.rejects(
        fx.produce([{ topic: '', payload: 1n, headers: { 'accord-x': 'y' }, delayMs: -1 }]),
        (error: unknown) => {
          const e = error as { code?: string; issues?: { path: string }[] };
          assert.equal(e.code, 'INVALID_REQUEST');
          assert.deepEqual(
            e.issues?.map((i) => i.path),
            ['topic', 'payload', 'headers.accord-x', 'delayMs'],
          );
          return true;
        },
      );
      assert.equal(await fx.businessRows(), 0);
      assert.deepEqual(await fx.rows(), []);
    });

    test('crash between the business commit and the publish: a fresh relay publishes', async () => {
      const { clock, fx, rec } = await open();
      // Committed while no relay runs at all.
      const ids = await fx.produce([message(1), message(2), message(3)]);

      // Relay A claims all three and hangs in its first publish: as good as dead.
      rec.behaviour = (m) => (m.id === ids[0] && rec.hanging === 0 ? 'hang' : 'ok');
      const dying = fx.relay(manual({ publisher: rec.publisher('A'), owner: 'relay-a' }));
      const dyingRun = dying.runOnce();
      await waitFor(() => rec.hanging === 1, { what: 'relay A to hang' });
      assert.deepEqual(
        (await fx.rows()).map((r) => [r.leaseOwner, r.attempts, r.availableAt]),
        ids.map(() => ['relay-a', 1, T0 + LEASE]),
        'claimed under a lease',
      );

      // Before the lease ends, nobody else may take the rows.
      const fresh = fx.relay(manual({ publisher: rec.publisher('B'), owner: 'relay-b' }), 'second');
      clock.advance(LEASE - 1);
      assert.equal(await fresh.runOnce(), 0);
      clock.advance(1);
      assert.equal(await fresh.runOnce(), 3);
      assert.deepEqual(rec.ids('B'), ids);
      assert.ok((await fx.rows()).every((r) => r.status === 'sent' && r.attempts === 2));

      // A wakes up: its hung publish completes, but it starts nothing on its stale lease.
      rec.releaseHung();
      assert.equal(await dyingRun, 1);
      assert.deepEqual(rec.ids('A'), [ids[0]]);
      assert.deepEqual(
        rec.started.filter((s) => s.by === 'A').map((s) => s.id),
        [ids[0]],
        'the stale relay published nothing else',
      );
      // Only the publish that outlived its lease (what a real crash rules out) overlapped.
      assert.deepEqual(rec.overlaps, [ids[0]]);
      assert.ok((await fx.rows()).every((r) => r.status === 'sent'));
      await dying.stop();
      await fresh.stop();
    });

    test("a stale relay's late failure does not touch the row another relay now holds", async () => {
      const { clock, fx, rec } = await open();
      const [id] = await fx.produce([message(1)]);
      rec.behaviour = () => 'hang';
      const a = fx.relay(manual({ publisher: rec.publisher('A'), owner: 'relay-a' }));
      const aRun = a.runOnce();
      await waitFor(() => rec.hanging === 1, { what: 'relay A to hang' });
      clock.advance(LEASE);
      const b = fx.relay(manual({ publisher: rec.publisher('B'), owner: 'relay-b' }), 'second');
      const bRun = b.runOnce();
      await waitFor(() => rec.hanging === 2, { what: 'relay B to hang' });
      const held = (await fx.rows()).map((r) => [r.id, r.leaseOwner, r.attempts, r.availableAt]);
      assert.deepEqual(held, [[id, 'relay-b', 2, T0 + 2 * LEASE]]);

      rec.releaseOldest(new Error('late failure')); // A's publish fails after all
      assert.equal(await aRun, 0);
      assert.deepEqual(
        (await fx.rows()).map((r) => [r.id, r.leaseOwner, r.attempts, r.availableAt, r.lastError]),
        [[...held[0]!, null]],
        "A's outcome was not written over B's claim",
      );
      rec.releaseOldest();
      assert.equal(await bRun, 1);
      assert.deepEqual(
        (await fx.rows()).map((r) => [r.status, r.attempts]),
        [['sent', 2]],
      );
      await Promise.all([a.stop(), b.stop()]);
    });

    test('two relays on two pools over many rows: never the same row at once, every row exactly once', async () => {
      const { fx, rec } = await open();
      const total = 200;
      const ids: string[] = [];
      for (let i = 0; i < total; i += 50) {
        ids.push(...(await fx.produce(Array.from({ length: 50 }, (_, k) => message(i + k)))));
      }
      rec.delayMs = 1;
      const options = { batchSize: 10, intervalMs: 5, concurrency: 4, leaseMs: 60_000 };
      const a = fx.relay({ ...options, publisher: rec.publisher('A') }, 'first');
      const b = fx.relay({ ...options, publisher: rec.publisher('B') }, 'second');
      try {
        await waitFor(async () => (await fx.rows()).every((r) => r.status === 'sent'), {
          timeoutMs: 20_000,
          what: 'every row sent',
        });
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
      assert.deepEqual(rec.overlaps, [], 'no row was in flight twice at once');
      assert.deepEqual([...rec.ids()].sort(), [...ids].sort(), 'each row published exactly once');
      assert.ok(rec.ids('A').length > 0 && rec.ids('B').length > 0, 'both relays took part');
    });

    test('a failing publisher backs off (attempts, available_at, last_error), then succeeds', async () => {
      const { clock, fx, rec } = await open();
      const [id] = await fx.produce([message(1)]);
      let failures = 0;
      rec.behaviour = () => (failures < 3 ? new Error(`broker down ${++failures}`) : 'ok');
      const errors: string[] = [];
      const relay = fx.relay(
        manual({
          publisher: rec.publisher(),
          retry: { firstDelayMs: 1_000, factor: 2, maxDelayMs: 3_000, jitter: 0.5 },
          random: () => 0, // the low end of the jitter: delays are half the base
          onError: (error, info) => errors.push(`${info.stage}: ${(error as Error).message}`),
        }),
      );
      const expectRow = async (attempts: number, delay: number, error: string) => {
        const [row] = await fx.rows();
        assert.equal(row?.status, 'pending');
        assert.equal(row?.attempts, attempts);
        assert.equal(row?.availableAt, clock.now() + delay);
        assert.match(row?.lastError ?? '', new RegExp(error));
        assert.equal(row?.leaseOwner, null);
      };
      assert.equal(await relay.runOnce(), 0);
      await expectRow(1, 500, 'Error: broker down 1');
      assert.equal(await relay.runOnce(), 0, 'not due yet');
      assert.equal(rec.started.length, 1);
      clock.advance(500);
      assert.equal(await relay.runOnce(), 0);
      await expectRow(2, 1_000, 'broker down 2');
      clock.advance(1_000);
      assert.equal(await relay.runOnce(), 0);
      await expectRow(3, 1_500, 'broker down 3'); // capped at maxDelayMs before the jitter
      clock.advance(1_500);
      assert.equal(await relay.runOnce(), 1);
      const [row] = await fx.rows();
      assert.deepEqual([row?.id, row?.status, row?.attempts], [id, 'sent', 4]);
      assert.match(row?.lastError ?? '', /broker down 3/, 'the last failure stays on record');
      assert.deepEqual(
        errors,
        [1, 2, 3].map((n) => `publish: broker down ${n}`),
      );
      assert.deepEqual(
        rec.published.map((p) => p.message.attempt),
        [4],
      );
      await relay.stop();
    });

    test('after maxAttempts a message is left dead, reported, and can be revived', async () => {
      const { clock, fx, rec } = await open();
      const [id = ''] = await fx.produce([message(1)]);
      rec.behaviour = () => new Error('poison');
      const dead: string[] = [];
      const relay = fx.relay(
        manual({
          publisher: rec.publisher(),
          retry: { firstDelayMs: 10, jitter: 0, maxAttempts: 2 },
          onDead: (m, error) => dead.push(`${m.id} ${(error as Error).message}`),
        }),
      );
      await relay.runOnce();
      clock.advance(10);
      await relay.runOnce();
      assert.deepEqual(dead, [`${id} poison`]);
      let [row] = await fx.rows();
      assert.deepEqual([row?.status, row?.attempts, row?.leaseOwner], ['dead', 2, null]);
      clock.advance(3_600_000);
      assert.equal(await relay.runOnce(), 0);
      assert.equal(rec.started.length, 2, 'a dead message is not retried');

      assert.equal(await fx.revive(id), true);
      assert.equal(await fx.revive(id), false, 'only a dead row revives');
      rec.behaviour = () => 'ok';
      assert.equal(await relay.runOnce(), 1);
      [row] = await fx.rows();
      assert.deepEqual([row?.status, row?.attempts], ['sent', 1]);
      await relay.stop();
    });

    test('attempts whose relay died count towards maxAttempts', async () => {
      const { clock, fx, rec } = await open();
      await fx.produce([message(1)]);
      rec.behaviour = (m) => (m.attempt === 1 ? 'hang' : 'ok');
      const dead: string[] = [];
      const options = { publisher: rec.publisher(), retry: { maxAttempts: 1 } };
      const dying = fx.relay(manual(options));
      const dyingRun = dying.runOnce();
      await waitFor(() => rec.hanging === 1, { what: 'the publish to hang' });
      clock.advance(LEASE);
      const next = fx.relay(manual({ ...options, onDead: (m) => dead.push(m.id) }));
      assert.equal(await next.runOnce(), 0);
      const [row] = await fx.rows();
      assert.deepEqual([row?.status, row?.attempts], ['dead', 1]);
      assert.match(row?.lastError ?? '', /no outcome after 1 attempts/);
      assert.equal(dead.length, 1);
      assert.equal(rec.started.length, 1, 'the second relay did not publish');
      rec.releaseHung();
      await dyingRun;
      await Promise.all([dying.stop(), next.stop()]);
    });

    test('stop() lets the publish in flight finish and hands unstarted rows back', async () => {
      const { fx, rec } = await open();
      const ids = await fx.produce([message(1), message(2), message(3)]);
      rec.behaviour = (m) => (m.id === ids[0] ? 'hang' : 'ok');
      const relay = fx.relay(manual({ publisher: rec.publisher() }));
      const run = relay.runOnce();
      await waitFor(() => rec.hanging === 1, { what: 'the first publish to hang' });
      const stopped = relay.stop();
      rec.releaseHung();
      await stopped;
      assert.equal(await run, 1);
      assert.deepEqual(
        (await fx.rows()).map((r) => [r.id, r.status, r.attempts, r.leaseOwner]),
        [
          [ids[0], 'sent', 1, null],
          [ids[1], 'pending', 0, null],
          [ids[2], 'pending', 0, null],
        ],
      );
      await assert.rejects(relay.runOnce(), /stopped/);
    });

    test('a delayed message waits for its time', async () => {
      const { clock, fx, rec } = await open();
      await fx.produce([message(1, { delayMs: 5_000 })]);
      const relay = fx.relay(manual({ publisher: rec.publisher() }));
      assert.equal(await relay.runOnce(), 0);
      clock.advance(4_999);
      assert.equal(await relay.runOnce(), 0);
      clock.advance(1);
      assert.equal(await relay.runOnce(), 1);
      await relay.stop();
    });

    test('the background loop publishes, and wake() skips the pause', async () => {
      const { fx, rec } = await open();
      await fx.produce([message(1)]);
      const relay = fx.relay({ publisher: rec.publisher(), intervalMs: 60_000 });
      try {
        await waitFor(() => rec.published.length === 1, { what: 'the first publish' });
        await fx.produce([message(2)]); // the loop now sleeps for a minute
        relay.wake();
        await waitFor(() => rec.published.length === 2, { what: 'the woken publish' });
      } finally {
        await relay.stop();
      }
    });

    test('purgeSent deletes only sent rows older than the age', async () => {
      const { clock, fx, rec } = await open();
      await fx.produce([message(1), message(2)]);
      const relay = fx.relay(manual({ publisher: rec.publisher() }));
      assert.equal(await relay.runOnce(), 2);
      clock.advance(10_000);
      const [pending] = await fx.produce([message(3)]);
      rec.behaviour = () => new Error('down');
      await relay.runOnce();
      assert.equal(await fx.purgeSent(10_001), 0, 'not old enough');
      assert.equal(await fx.purgeSent(5_000), 2);
      assert.deepEqual(
        (await fx.rows()).map((r) => r.id),
        [pending],
      );
      await assert.rejects(fx.purgeSent(-1), { code: 'INVALID_REQUEST' });
      await relay.stop();
    });

    test('checkPrepared: committed only when the row exists', async () => {
      const { fx } = await open();
      const [id = ''] = await fx.produce([message(1)]);
      await assert.rejects(fx.produce([message(2, { id: 'rolled-back' })], { fail: true }));
      assert.equal(await fx.checkPrepared(id), 'committed');
      assert.equal(await fx.checkPrepared('rolled-back'), 'rolledback');
    });

    test('a claim skips rows locked by another transaction instead of waiting', async (t) => {
      const { fx, rec } = await open();
      if (!fx.holdRowLock) return t.skip('no row locks: SQLite serialises whole writers');
      const ids = await fx.produce([message(1), message(2), message(3)]);
      const release = await fx.holdRowLock(ids[1] ?? '');
      try {
        const relay = fx.relay(manual({ publisher: rec.publisher() }));
        assert.equal(await relay.runOnce(), 2);
        assert.deepEqual(rec.ids(), [ids[0], ids[2]]);
        await relay.stop();
      } finally {
        await release();
      }
      assert.deepEqual(
        (await fx.rows()).map((r) => r.status),
        ['sent', 'pending', 'sent'],
      );
    });
  });
}
