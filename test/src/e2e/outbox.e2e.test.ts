/**
 * The outbox relayed to the coordinator: rows written in the producer's own PostgreSQL
 * transaction become msg transactions of a real `accord serve` process, which delivers
 * them to a consumer that deduplicates with its inbox. Covers a relay that died between
 * create and submit (the coordinator's check-back answers from the outbox table) and a
 * message whose producer transaction never committed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { AccordClient } from '@accord/client';
import { accordHandler } from '@accord/client/participant';
import { checkBackHandler } from '@accord/client/barrier';
import { accordPublisher, pgInbox, pgOutbox, type OutboxRelay } from '@accord/client/outbox';
import { createTempSchema, requireService, tempDir, waitFor } from '@accord/testkit';
import type { TempSchema } from '@accord/testkit';
import { CoordinatorProcess } from '../support/coordinator-process.js';

const SECRET = 'outbox-e2e-secret';

describe('outbox relayed to the coordinator as msg, consumed behind an inbox', async () => {
  const skip = await requireService('postgres');
  const dir = tempDir('accord-outbox-e2e-');
  const outbox = pgOutbox();
  const inbox = pgInbox({ consumer: 'points' });
  let schema: TempSchema;
  let pool: pg.Pool;
  let server: Server;
  let base = '';
  let coordinator: CoordinatorProcess;
  let accord: AccordClient;
  /** Deliveries the consumer refuses (503) before it starts applying them. */
  let refuseFirst = 0;
  let deliveries = 0;

  before(async () => {
    if (skip) return;
    schema = await createTempSchema('accord_outbox_e2e');
    pool = new pg.Pool({ connectionString: schema.url, max: 8 });
    pool.on('error', () => undefined);
    await outbox.migrate(pool);
    await inbox.migrate(pool);
    await pool.query('CREATE TABLE users (id text PRIMARY KEY)');
    await pool.query('CREATE TABLE grants (user_id text NOT NULL, points int NOT NULL)');
    const grant = accordHandler<{ userId: string }, { applied: boolean }>(
      async (ctx, body) => {
        deliveries += 1;
        if (deliveries <= refuseFirst) throw new Error('busy');
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await inbox.consume(client, ctx.gid, (tx) =>
            tx.query('INSERT INTO grants (user_id, points) VALUES ($1, 100)', [body.userId]),
          );
          await client.query('COMMIT');
          return { applied: result.applied };
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
      { secret: SECRET },
    );
    const check = accordHandler(
      checkBackHandler((gid) => outbox.checkPrepared(pool, gid)),
      { secret: SECRET },
    );
    server = createServer((req, res) => {
      if (req.url === '/grant') void grant(req, res);
      else if (req.url === '/outbox-check') void check(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    coordinator = new CoordinatorProcess({
      dataDir: dir.path,
      env: { ACCORD_SIGNING_SECRET: SECRET },
    });
    await coordinator.start();
    accord = new AccordClient({ url: coordinator.url });
  });

  after(async () => {
    if (skip) return;
    await accord?.close();
    await coordinator?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await pool?.end();
    await schema?.drop();
    dir.remove();
  });

  const steps = (payload: unknown) => [{ id: 'grant', action: `${base}/grant`, payload }];
  const publisher = () =>
    accordPublisher(accord, {
      steps: (m) => steps(m.payload),
      checkUrl: `${base}/outbox-check`,
      options: { timeoutMs: 600 },
    });

  /** Signs a user up: the user row and its outbox message in one transaction. */
  async function signUp(userId: string, commit = true): Promise<string> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO users (id) VALUES ($1)', [userId]);
      const id = await outbox.add(client, { topic: 'user.created', payload: { userId } });
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      return id;
    } finally {
      client.release();
    }
  }

  async function grantsOf(userId: string): Promise<number> {
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM grants WHERE user_id = $1',
      [userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The transaction's status, or `absent` while the relay has not created it yet. */
  async function statusOf(gid: string): Promise<string> {
    try {
      return (await accord.query(gid)).transaction.status;
    } catch (error) {
      if ((error as { code?: string }).code === 'TRANSACTION_NOT_FOUND') return 'absent';
      throw error;
    }
  }

  it('publishes committed rows as msg transactions; a rolled-back one publishes nothing', async (t) => {
    if (skip) return t.skip(skip);
    refuseFirst = 2; // the consumer is busy at first: the coordinator retries
    const users = ['u1', 'u2', 'u3', 'u4'];
    const ids = await Promise.all(users.map((u) => signUp(u)));
    const rolledBack = await signUp('ghost', false);
    const relay: OutboxRelay = outbox.relay({ db: pool, publisher: publisher(), intervalMs: 50 });
    try {
      await waitFor(
        async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'succeeded'),
        { timeoutMs: 60_000, what: 'every message delivered' },
      );
      await waitFor(
        async () => {
          const { rows } = await pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM accord_outbox WHERE status = 'sent'",
          );
          return Number(rows[0]?.n) === ids.length;
        },
        { what: 'every row marked sent' },
      );
    } finally {
      await relay.stop();
    }
    for (const u of users) assert.equal(await grantsOf(u), 1, `grants of ${u}`);
    assert.equal(await grantsOf('ghost'), 0);
    await assert.rejects(accord.query(rolledBack), { code: 'TRANSACTION_NOT_FOUND' });
    // The consumer's first refusals were retried by the coordinator, not lost.
    const histories = await Promise.all(ids.map(async (id) => (await accord.query(id)).history));
    const errors = histories.flat().filter((h) => h.outcome === 'error');
    assert.equal(errors.length, 2, 'two refused deliveries, each retried');
  });

  it('a relay that died between create and submit: the check-back finds the row and the message is delivered once', async (t) => {
    if (skip) return t.skip(skip);
    const id = await signUp('u5');
    // What a relay that died right after its create leaves behind: a prepared msg.
    const created = await accord.create({
      gid: id,
      mode: 'msg',
      steps: steps({ userId: 'u5' }),
      checkUrl: `${base}/outbox-check`,
      options: { timeoutMs: 600 },
    });
    assert.equal(created.status, 'prepared');
    // Past its timeout the coordinator asks the producer, which answers from the outbox.
    await waitFor(async () => (await statusOf(id)) === 'succeeded', {
      timeoutMs: 60_000,
      what: 'delivery after the check-back',
    });
    assert.equal(await grantsOf('u5'), 1);
    // The next relay publishes the same row again: the coordinator answers the same
    // create idempotently and the submit of a finished msg changes nothing.
    const relay = outbox.relay({ db: pool, publisher: publisher(), autoStart: false });
    assert.equal(await relay.runOnce(), 1);
    await relay.stop();
    assert.equal(await grantsOf('u5'), 1, 'still one grant');
    const { history } = await accord.query(id);
    assert.deepEqual(
      history.map((h) => `${h.op}:${h.outcome}`),
      ['check:success', 'action:success'],
    );
  });

  it('a message whose producer transaction rolled back is dropped by the check-back', async (t) => {
    if (skip) return t.skip(skip);
    const id = await signUp('u6', false);
    await accord.create({
      gid: id,
      mode: 'msg',
      steps: steps({ userId: 'u6' }),
      checkUrl: `${base}/outbox-check`,
      options: { timeoutMs: 600 },
    });
    await waitFor(async () => (await statusOf(id)) === 'failed', {
      timeoutMs: 60_000,
      what: 'the check-back to drop the message',
    });
    assert.equal(await grantsOf('u6'), 0);
  });
});
