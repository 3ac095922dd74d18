/**
 * Broker targets end to end: a real `accord serve` process configured with RabbitMQ and
 * NATS JetStream delivers msg steps and notifications to them, counts a delivery only
 * once the broker confirms it, and keeps retrying through a broker outage until the
 * broker returns, losing nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import { connect as connectNats, type NatsConnection } from 'nats';
import pg from 'pg';
import { AccordClient } from '@accord/client';
import { verifySignature } from '@accord/client/participant';
import { pgInbox } from '@accord/client/outbox';
import {
  createTempSchema,
  requireService,
  SERVICES,
  TcpProxy,
  tempDir,
  uniqueName,
  waitFor,
} from '@accord/testkit';
import { CoordinatorProcess } from '../support/coordinator-process.js';

const CHECK_URL = 'http://127.0.0.1:9/never-called';

async function skipReason(): Promise<string | null> {
  return (
    (await requireService('rabbitmq')) ??
    (await requireService('nats')) ??
    (await requireService('postgres'))
  );
}

describe('broker targets (RabbitMQ, NATS JetStream) through a real coordinator', async () => {
  const skip = await skipReason();
  const name = uniqueName('accord_e2e').replace(/[^a-z0-9_]/g, '_');
  const exchange = `${name}_x`;
  const queue = `${name}_q`;
  const stream = `${name}_s`.toUpperCase();
  const subject = `${name}.orders`;
  const dir = tempDir('accord-brokers-');
  let proxy: TcpProxy;
  let coordinator: CoordinatorProcess;
  let accord: AccordClient;
  let rabbit: amqp.ChannelModel;
  let channel: amqp.Channel;
  let nats: NatsConnection;

  before(async () => {
    if (skip) return;
    rabbit = await amqp.connect(SERVICES.rabbitmq.url);
    channel = await rabbit.createChannel();
    await channel.assertExchange(exchange, 'direct', { durable: false, autoDelete: false });
    await channel.assertQueue(queue, { durable: false, autoDelete: false });
    await channel.bindQueue(queue, exchange, 'orders.created');
    nats = await connectNats({ servers: SERVICES.nats.url });
    const jsm = await nats.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${name}.>`], duplicate_window: 60e9 });
    // The coordinator reaches RabbitMQ through a proxy the test can cut.
    const rabbitUrl = new URL(SERVICES.rabbitmq.url);
    proxy = await TcpProxy.start(rabbitUrl.hostname, Number(rabbitUrl.port || 5672));
    coordinator = new CoordinatorProcess({
      dataDir: dir.path,
      env: {
        ACCORD_BROKERS: `mq=${proxy.rewrite(SERVICES.rabbitmq.url)},js=${SERVICES.nats.url}`,
        ACCORD_SIGNING_SECRET: 'broker-secret',
      },
    });
    await coordinator.start();
    accord = new AccordClient({ url: coordinator.url });
  });

  after(async () => {
    if (skip) return;
    await accord?.close();
    await coordinator?.stop();
    await proxy?.close();
    await channel?.deleteQueue(queue).catch(() => undefined);
    await channel?.deleteExchange(exchange).catch(() => undefined);
    await rabbit?.close().catch(() => undefined);
    if (nats) {
      const jsm = await nats.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => undefined);
      await nats.close();
    }
    dir.remove();
  });

  /** Every message now in the queue (acknowledged, so each call sees only new ones). */
  async function drainQueue(): Promise<amqp.GetMessage[]> {
    const got: amqp.GetMessage[] = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return got;
      got.push(message);
    }
  }

  async function streamMessages(): Promise<Array<{ id: string; body: string }>> {
    const jsm = await nats.jetstreamManager();
    const info = await jsm.streams.info(stream);
    const out: Array<{ id: string; body: string }> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq += 1) {
      const m = await jsm.streams.getMessage(stream, { seq });
      out.push({ id: m.header.get('Nats-Msg-Id'), body: new TextDecoder().decode(m.data) });
    }
    return out;
  }

  async function settled(gid: string): Promise<string> {
    let status = '';
    await waitFor(
      async () => {
        status = (await accord.query(gid)).transaction.status;
        return status === 'succeeded' || status === 'failed';
      },
      { timeoutMs: 60_000, what: `${gid} to settle` },
    );
    return status;
  }

  it('delivers msg steps to RabbitMQ and JetStream, confirmed, with Accord headers', async (t) => {
    if (skip) return t.skip(skip);
    const gid = `${name}-msg-1`;
    await accord
      .msg({ gid, checkUrl: CHECK_URL })
      .step({ id: 'rabbit', action: `broker://mq/${exchange}/orders.created`, payload: { n: 1 } })
      .step({ id: 'stream', action: `broker://js/${subject}`, payload: { n: 1 } })
      .submit();
    assert.equal(await settled(gid), 'succeeded');
    const [message, ...rest] = await drainQueue();
    assert.equal(rest.length, 0);
    assert.ok(message);
    assert.equal(message.properties.messageId, `${gid}/rabbit`);
    assert.equal(message.properties.deliveryMode, 2, 'persistent');
    assert.deepEqual(JSON.parse(message.content.toString()), { n: 1 });
    const headers = message.properties.headers ?? {};
    assert.equal(String(headers['accord-gid']), gid);
    assert.equal(String(headers['accord-mode']), 'msg');
    verifySignature(
      'broker-secret',
      String(headers['accord-signature']),
      { gid, branchId: 'rabbit', op: 'action', mode: 'msg' },
      message.content,
    );
    const inStream = (await streamMessages()).filter((m) => m.id === `${gid}/stream`);
    assert.equal(inStream.length, 1);
    assert.deepEqual(JSON.parse(inStream[0]!.body), { n: 1 });
  });

  it('delivers a notification to a broker', async (t) => {
    if (skip) return t.skip(skip);
    const id = `${name}-note-1`;
    await accord.notify({ id, url: `broker://js/${name}.notes`, payload: { paid: true } });
    await waitFor(async () => (await accord.notification(id)).notification.status === 'succeeded', {
      what: 'notification delivered',
    });
    const stored = (await streamMessages()).filter((m) => m.id === `${id}/notify`);
    assert.equal(stored.length, 1);
  });

  it('refuses targets naming an unknown broker, before storing anything', async (t) => {
    if (skip) return t.skip(skip);
    await assert.rejects(
      accord
        .msg({ gid: `${name}-bad`, checkUrl: CHECK_URL })
        .step({ action: 'broker://nope/x/y' })
        .submit(),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'INVALID_REQUEST');
        assert.match(error.message, /nope/);
        return true;
      },
    );
    await assert.rejects(accord.query(`${name}-bad`), { code: 'TRANSACTION_NOT_FOUND' });
  });

  it('keeps retrying while RabbitMQ is unreachable and delivers every message once it returns', async (t) => {
    if (skip) return t.skip(skip);
    await drainQueue();
    proxy.cut();
    const gids = Array.from({ length: 5 }, (_, i) => `${name}-outage-${i}`);
    for (const gid of gids) {
      await accord
        .msg({ gid, checkUrl: CHECK_URL })
        .step({ id: 'rabbit', action: `broker://mq/${exchange}/orders.created`, payload: { gid } })
        .submit();
    }
    // While the broker is away nothing counts as delivered.
    await waitFor(
      async () => {
        const txs = await Promise.all(gids.map((gid) => accord.query(gid)));
        return txs.every((q) => (q.transaction.branches?.[0]?.attempts ?? 0) >= 2);
      },
      { timeoutMs: 60_000, what: 'failed delivery attempts during the outage' },
    );
    for (const gid of gids) assert.equal((await accord.query(gid)).transaction.status, 'submitted');
    assert.equal((await drainQueue()).length, 0, 'nothing reached the queue through the cut');
    proxy.restore();
    for (const gid of gids) assert.equal(await settled(gid), 'succeeded');
    const delivered = await drainQueue();
    const ids = delivered.map((m) => String(m.properties.messageId));
    // At least once: every message arrived; a broker confirm lost in the cut may repeat one,
    // which consumers drop by message id.
    assert.deepEqual([...new Set(ids)].sort(), gids.map((gid) => `${gid}/rabbit`).sort());

    // A consumer applying them behind its inbox applies each once, also when the broker
    // delivers one again (a redelivery after a lost consumer ack, simulated here).
    const schema = await createTempSchema('accord_broker_inbox');
    const pool = new pg.Pool({ connectionString: schema.url, max: 4 });
    pool.on('error', () => undefined);
    try {
      const inbox = pgInbox({ consumer: 'orders' });
      await inbox.migrate(pool);
      await pool.query('CREATE TABLE applied (gid text NOT NULL)');
      const consume = async (message: amqp.GetMessage) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { gid } = JSON.parse(message.content.toString()) as { gid: string };
          const result = await inbox.consume(client, String(message.properties.messageId), (tx) =>
            tx.query('INSERT INTO applied (gid) VALUES ($1)', [gid]),
          );
          await client.query('COMMIT');
          return result.applied;
        } finally {
          client.release();
        }
      };
      const redelivered = [...delivered, delivered[0]!];
      const outcomes: boolean[] = [];
      for (const message of redelivered) outcomes.push(await consume(message));
      assert.equal(outcomes.filter(Boolean).length, gids.length, 'each message applied once');
      const { rows } = await pool.query<{ gid: string }>('SELECT gid FROM applied ORDER BY gid');
      assert.deepEqual(
        rows.map((r) => r.gid),
        [...gids].sort(),
      );
    } finally {
      await pool.end();
      await schema.drop();
    }
  });
});
