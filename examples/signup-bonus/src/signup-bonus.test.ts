import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import amqp, { type GetMessage } from 'amqplib';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { requireService, SERVICES, TcpProxy, uniqueName, waitFor } from '@accord/testkit';
import { SIGNUP_BONUS, SIGNUP_REASON } from './points-ledger.js';
import type { SignupWorld, SignupWorldOptions } from './signup-world.js';
import { startSignupWorld } from './signup-world.js';

/** The first missing service's skip line, or null when all three are there. */
async function missingService(): Promise<string | null> {
  for (const service of ['postgres', 'mariadb', 'rabbitmq'] as const) {
    const missing = await requireService(service);
    if (missing !== null) return missing;
  }
  return null;
}

const skip = await missingService();

describe(
  'signup bonus: PostgreSQL outbox → RabbitMQ → MariaDB inbox',
  { skip: skip ?? false },
  () => {
    /** A world of its own for one test, closed (everything deleted) when the test ends. */
    async function world(
      t: TestContext,
      options: Partial<SignupWorldOptions> = {},
    ): Promise<SignupWorld> {
      const w = await startSignupWorld({
        postgresUrl: SERVICES.postgres.url,
        mysqlUrl: SERVICES.mariadb.url,
        amqpUrl: SERVICES.rabbitmq.url,
        scratchPrefix: uniqueName('signup'),
        ...options,
      });
      t.after(() => w.close());
      return w;
    }

    /** Signs up `emails` at once; returns the message ids of the 201s, in order. */
    async function signUpAll(w: SignupWorld, emails: readonly string[]): Promise<string[]> {
      const answers = await Promise.all(emails.map((e) => w.signUp(e, e.split('@')[0] ?? e)));
      for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
      return answers.map((a) => a.body.messageId ?? '');
    }

    /** Waits until every committed user (there must be `users`) has exactly one bonus. */
    async function allBonused(w: SignupWorld, users: number, timeoutMs = 10_000) {
      return waitFor(
        async () => {
          const report = await w.report();
          return report.ok && report.users === users ? report : null;
        },
        { timeoutMs, what: `${users} users with one bonus each` },
      );
    }

    it('a committed sign-up yields exactly one bonus', async (t) => {
      const w = await world(t);
      const res = await w.signUp('Ada@Example.com', 'Ada');
      assert.equal(res.status, 201);
      const userId = res.body.user?.id ?? '';
      const messageId = res.body.messageId ?? '';
      assert.equal(res.body.user?.email, 'ada@example.com');

      await allBonused(w, 1);
      await waitFor(() => w.points.deliveriesOf(messageId).length === 1, { what: 'the delivery' });
      await waitFor(async () => (await w.outboxRows()).every((r) => r.status === 'sent'), {
        what: 'the row marked sent',
      });

      const [points] = await w.points.ledger.pool.query<mysql.RowDataPacket[]>(
        'SELECT user_id, amount, reason FROM points',
      );
      assert.deepEqual(
        points.map((r) => ({ ...r })),
        [{ user_id: userId, amount: SIGNUP_BONUS, reason: SIGNUP_REASON }],
      );
      assert.equal(await w.points.ledger.inboxSize(), 1);
      assert.deepEqual(
        (await w.outboxRows()).map((r) => [r.id, r.status, r.attempts]),
        [[messageId, 'sent', 1]],
      );
      assert.deepEqual(w.points.deliveriesOf(messageId), [
        { messageId, redelivered: false, outcome: 'granted', ackLost: false },
      ]);
      assert.equal(w.tap.confirmed(messageId).length, 1, 'published once');
    });

    it('a rolled-back sign-up (taken email, failure before COMMIT) yields no message and no bonus', async (t) => {
      const w = await world(t);
      const [bob] = await signUpAll(w, ['bob@example.com']);

      // The same email again, in other case, four times at once: all refused.
      const again = await Promise.all(
        Array.from({ length: 4 }, () => w.signUp('BOB@example.com', 'Bob again')),
      );
      assert.deepEqual(
        again.map((a) => [a.status, a.body.code]),
        Array.from({ length: 4 }, () => [409, 'EMAIL_TAKEN']),
      );
      // A new email raced five times: one commits, the others wait for it and are refused.
      const race = await Promise.all(
        Array.from({ length: 5 }, () => w.signUp('carol@example.com', 'Carol')),
      );
      assert.deepEqual(race.map((a) => a.status).sort(), [201, 409, 409, 409, 409]);
      const carol = race.find((a) => a.status === 201)?.body.messageId;

      // Both rows written, then the transaction fails before COMMIT.
      w.users.faults.failBeforeCommit = 1;
      const failed = await w.signUp('dave@example.com', 'Dave');
      assert.equal(failed.status, 500);

      // Deterministic: only two outbox rows exist, so only two messages can ever be sent.
      assert.deepEqual((await w.outboxRows()).map((r) => r.id).sort(), [bob, carol].sort());
      assert.deepEqual((await w.users.users()).map((u) => u.email).sort(), [
        'bob@example.com',
        'carol@example.com',
      ]);
      await allBonused(w, 2);
      await waitFor(async () => (await w.outboxRows()).every((r) => r.status === 'sent'), {
        what: 'both rows sent',
      });
      assert.equal(w.tap.confirmed().length, 2);
      assert.equal(await w.points.ledger.inboxSize(), 2);

      // The rolled-back attempt left nothing behind: the email is free.
      const dave = await w.signUp('dave@example.com', 'Dave');
      assert.equal(dave.status, 201);
      await allBonused(w, 3);
    });

    it('a crash between the business commit and the publish: a relay started later publishes', async (t) => {
      const w = await world(t, { startRelay: false });
      const ids = await signUpAll(w, ['e1@example.com', 'e2@example.com', 'e3@example.com']);
      // No relay runs: the users are committed, their messages wait in the outbox.
      assert.deepEqual(
        (await w.outboxRows()).map((r) => [r.status, r.attempts, r.leaseOwner]),
        ids.map(() => ['pending', 0, null]),
      );
      assert.equal((await w.report()).missing.length, 3);
      assert.equal(w.points.deliveries.length, 0);

      await w.startRelay();
      await allBonused(w, 3);
      await waitFor(async () => (await w.outboxRows()).every((r) => r.status === 'sent'), {
        what: 'every row sent',
      });
      assert.deepEqual(
        (await w.outboxRows()).map((r) => [r.id, r.status, r.attempts]).sort(),
        ids.map((id) => [id, 'sent', 1]).sort(),
      );
    });

    it('a relay killed mid-publish leaves its rows, once its lease lapses, to another relay', async (t) => {
      const leaseMs = 1500;
      const w = await world(t, { startRelay: false, relayDefaults: { leaseMs } });
      const ids = await signUpAll(w, ['k1@example.com', 'k2@example.com', 'k3@example.com']);
      const [first = ''] = ids;

      // Relay A claims all three, publishes the first (the broker confirms it) and dies
      // before recording it; the other two it never starts.
      w.tap.killAfterPublish('relay-a');
      const a = await w.startRelay({ owner: 'relay-a', concurrency: 1 });
      await waitFor(() => w.tap.frozen.length === 1, { what: 'relay A to die mid-publish' });
      const { rows: held } = await w.users.pool.query<{ lease_until: string }>(
        `SELECT lease_until FROM ${w.users.outbox.table} WHERE lease_owner = 'relay-a'`,
      );
      assert.equal(held.length, 3, 'all three claimed by A');
      assert.ok((await w.outboxRows()).every((r) => r.status === 'pending' && r.attempts === 1));
      const leaseEnd = Math.max(...held.map((r) => Number(r.lease_until)));

      await w.startRelay({ owner: 'relay-b' });
      await allBonused(w, 3);
      await waitFor(() => w.points.deliveriesOf(first).length === 2, {
        what: 'the first message delivered twice (by A, then by B)',
      });
      // B records a row as sent after the broker confirmed it, which may be after the
      // consumer granted the bonus: wait for the records too.
      const rows = await waitFor(
        async () => {
          const now = await w.outboxRows();
          return now.every((r) => r.status === 'sent') ? now : undefined;
        },
        { what: 'relay B to record all three as sent' },
      );
      assert.ok(
        rows.every((r) => r.attempts === 2),
        JSON.stringify(rows),
      );
      const byB = w.tap.confirmed().filter((p) => p.relay === 'relay-b');
      assert.deepEqual(byB.map((p) => p.id).sort(), [...ids].sort(), 'B published all three');
      for (const p of byB) assert.ok(p.startedAt >= leaseEnd, "B waited for A's lease to lapse");
      assert.deepEqual(
        w.points.deliveriesOf(first).map((d) => d.outcome),
        ['granted', 'duplicate'],
        "the inbox absorbed the copy of A's publish",
      );

      // A's frozen publish finally fails: fenced off, it changes nothing.
      w.tap.releaseFrozen();
      await w.stopRelay(a);
      assert.deepEqual(await w.outboxRows(), rows);
      assert.deepEqual(w.tap.overlaps, []);
    });

    it('RabbitMQ unreachable from the relay: rows stay pending with last_error, then all arrive', async (t) => {
      const w = await world(t, { startRelay: false });
      const target = new URL(SERVICES.rabbitmq.url);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
      t.after(() => proxy.close());
      await w.startRelay({
        amqpUrl: proxy.rewrite(SERVICES.rabbitmq.url),
        leaseMs: 4000,
        reconnectMaxDelayMs: 200,
        retry: { firstDelayMs: 100, factor: 1, maxDelayMs: 100, jitter: 0 },
      });
      await signUpAll(w, ['before@example.com']);
      await allBonused(w, 1);

      proxy.cut();
      const during = await signUpAll(
        w,
        Array.from({ length: 4 }, (_, i) => `during-${i}@example.com`),
      );
      await waitFor(
        async () =>
          (await w.outboxRows()).filter((r) => during.includes(r.id) && r.attempts >= 2).length ===
          4,
        { timeoutMs: 15_000, what: 'two failed attempts at each row while cut off' },
      );
      for (const r of (await w.outboxRows()).filter((row) => during.includes(row.id))) {
        assert.equal(r.status, 'pending');
        assert.match(r.lastError ?? '', /PUBLISH_(TIMEOUT|DISCONNECTED)/);
      }
      assert.equal((await w.report()).missing.length, 4, 'nothing got through');
      for (const id of during) assert.equal(w.points.deliveriesOf(id).length, 0);

      proxy.restore();
      await allBonused(w, 5, 15_000);
      await waitFor(async () => (await w.outboxRows()).every((r) => r.status === 'sent'), {
        what: 'every row sent',
      });
      for (const id of during) {
        assert.ok(w.points.deliveriesOf(id).length >= 1, `${id} delivered`);
        assert.equal(w.points.deliveriesOf(id).filter((d) => d.outcome === 'granted').length, 1);
      }
    });

    it('duplicate deliveries (concurrent copies, lost acks, republished copies) grant once', async (t) => {
      const w = await world(t, { startRelay: false });
      const [fresh = ''] = await signUpAll(w, ['d0@example.com']);
      // Six copies of a message never seen before, at once: handled concurrently within
      // the prefetch window, they race on the inbox's key (the losers wait on InnoDB's
      // key lock, then skip; a deadlock victim would be requeued as 'retried').
      await Promise.all(Array.from({ length: 6 }, () => w.republish([fresh])));
      await waitFor(
        () => w.points.deliveriesOf(fresh).filter((d) => d.outcome !== 'retried').length === 6,
        { what: 'the six concurrent copies' },
      );
      const firstTime = w.points.deliveriesOf(fresh).filter((d) => d.outcome !== 'retried');
      assert.deepEqual(firstTime.map((d) => d.outcome).sort(), [
        'duplicate',
        'duplicate',
        'duplicate',
        'duplicate',
        'duplicate',
        'granted',
      ]);

      // The next two grants commit, then their acks are "lost": the broker redelivers.
      w.points.faults.loseAcks = 2;
      const ids = await signUpAll(w, ['d1@example.com', 'd2@example.com', 'd3@example.com']);
      await w.startRelay(); // publishes d0 (a seventh copy) and d1..d3
      await allBonused(w, 4);
      await waitFor(
        () => w.points.deliveries.filter((d) => d.outcome !== 'retried').length === 12,
        {
          what: 'seven copies of d0, three grants and two redeliveries',
        },
      );
      const history = (id: string) =>
        w.points
          .deliveriesOf(id)
          .map((d) => [d.outcome, d.redelivered && 'redelivered', d.ackLost && 'ack lost'])
          .map((parts) => parts.filter(Boolean).join(' '))
          .join(', ');
      assert.deepEqual(ids.map(history).sort(), [
        'granted',
        'granted ack lost, duplicate redelivered',
        'granted ack lost, duplicate redelivered',
      ]);

      // Copies published again with the same message id, one after the other.
      for (const id of ids) {
        const seen = w.points.deliveriesOf(id).length;
        await w.republish([id]);
        await w.republish([id]);
        await waitFor(() => w.points.deliveriesOf(id).length === seen + 2, {
          what: `the copies of ${id}`,
        });
        assert.deepEqual(
          w.points.deliveriesOf(id).map((d) => d.outcome),
          ['granted', ...Array.from({ length: seen + 1 }, () => 'duplicate')],
        );
      }

      const report = await w.report();
      assert.ok(report.ok, JSON.stringify(report));
      assert.deepEqual(
        [...(await w.points.ledger.bonuses()).values()],
        [1, 1, 1, 1],
        'one bonus per user',
      );
      assert.equal(await w.points.ledger.inboxSize(), 4);
      assert.equal(
        w.points.deliveries.filter((d) => d.outcome === 'granted').length,
        4,
        'four grants in all',
      );
    });

    it('poison messages go to the dead-letter queue once and do not block the queue', async (t) => {
      const w = await world(t);
      await w.publishRaw('not json', 'poison-1');
      await w.publishRaw('{"userId":42,"email":"x@example.com"}', 'poison-2');
      await w.publishRaw('{"userId":"u-1","email":"u1@example.com"}'); // no message id
      await signUpAll(w, ['after-poison@example.com']);
      await allBonused(w, 1);

      const dead: GetMessage[] = [];
      await waitFor(
        async () => {
          dead.push(...(await w.takeDeadLetters()));
          return dead.length >= 3;
        },
        { what: 'three dead letters' },
      );
      assert.deepEqual(
        dead.map((m) => m.properties.messageId as unknown).sort(),
        ['poison-1', 'poison-2', undefined].sort(),
      );
      for (const m of dead) {
        const [death] = m.properties.headers?.['x-death'] ?? [];
        assert.equal(death?.reason, 'rejected');
        assert.equal(death.queue, w.topology.queue);
        assert.equal(death.count, 1);
      }
      const poisoned = w.points.deliveries.filter((d) => d.outcome === 'dead-lettered');
      assert.equal(poisoned.length, 3, 'each rejected once, not redelivered');
      assert.equal(await w.points.ledger.inboxSize(), 1, 'no inbox row for poison');
      assert.equal(await w.queueDepth(), 0);
    });

    it('two relays at once never publish the same row at the same time, and together publish all', async (t) => {
      const w = await world(t, { startRelay: false });
      const emails = Array.from({ length: 40 }, (_, i) => `r${i}@example.com`);
      const ids = await signUpAll(w, emails);
      const options = { batchSize: 5, concurrency: 3, autoStart: false };
      const a = await w.startRelay({ ...options, owner: 'relay-a' });
      const b = await w.startRelay({ ...options, owner: 'relay-b' });
      // Both claim and publish concurrently, round after round, until nothing is left.
      for (let round = 0; round < 20; round += 1) {
        const [byA, byB] = await Promise.all([a.relay.runOnce(), b.relay.runOnce()]);
        if (byA + byB === 0) break;
      }
      assert.ok((await w.outboxRows()).every((r) => r.status === 'sent' && r.attempts === 1));
      assert.deepEqual(w.tap.overlaps, [], 'no row in flight from two relays at once');
      const published = w.tap.confirmed();
      assert.deepEqual(published.map((p) => p.id).sort(), [...ids].sort(), 'each row once');
      const relaysSeen = new Set(published.map((p) => p.relay));
      assert.deepEqual([...relaysSeen].sort(), ['relay-a', 'relay-b'], 'both relays took part');
      await allBonused(w, 40);
      await waitFor(() => w.points.deliveries.length === 40, { what: 'every delivery handled' });
      assert.ok(w.points.deliveries.every((d) => d.outcome === 'granted' && !d.redelivered));
    });

    it('close() deletes the schema, the database, the queues and the exchanges', async (t) => {
      const w = await startSignupWorld({
        postgresUrl: SERVICES.postgres.url,
        mysqlUrl: SERVICES.mariadb.url,
        amqpUrl: SERVICES.rabbitmq.url,
        scratchPrefix: uniqueName('signup'),
      });
      let closed = false;
      t.after(() => (closed ? undefined : w.close()));
      await signUpAll(w, ['gone@example.com']);
      await allBonused(w, 1);
      closed = true;
      await w.close();

      const pgc = new pg.Client({ connectionString: SERVICES.postgres.url });
      await pgc.connect();
      try {
        const { rows } = await pgc.query(
          'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1',
          [w.schema],
        );
        assert.equal(rows.length, 0, 'schema dropped');
      } finally {
        await pgc.end();
      }
      const my = await mysql.createConnection({ uri: SERVICES.mariadb.url });
      try {
        const [rows] = await my.query<mysql.RowDataPacket[]>(
          'SELECT 1 FROM information_schema.schemata WHERE schema_name = ?',
          [w.database],
        );
        assert.equal(rows.length, 0, 'database dropped');
      } finally {
        await my.end();
      }
      const broker = await amqp.connect(SERVICES.rabbitmq.url);
      try {
        const t = w.topology;
        for (const queue of [t.queue, t.deadLetterQueue]) {
          const ch = await broker.createChannel();
          ch.on('error', () => undefined);
          await assert.rejects(ch.checkQueue(queue), /404/);
        }
        for (const exchange of [t.exchange, t.deadLetterExchange]) {
          const ch = await broker.createChannel();
          ch.on('error', () => undefined);
          await assert.rejects(ch.checkExchange(exchange), /404/);
        }
      } finally {
        await broker.close();
      }
    });
  },
);
