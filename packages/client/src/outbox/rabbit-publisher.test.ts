import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import Database from 'better-sqlite3';
import { requireService, SERVICES, TcpProxy, tempDir, uniqueName, waitFor } from '@accord/testkit';
import { PublishError } from './publish-error.js';
import { rabbitPublisher } from './rabbit-publisher.js';
import { sqliteOutbox } from './sqlite-outbox.js';
import type { OutboxMessage } from './types.js';

const skip = await requireService('rabbitmq');

const message = (id: string, topic = 'user.created'): OutboxMessage => ({
  id,
  topic,
  payload: { userId: id },
  payloadJson: JSON.stringify({ userId: id }),
  headers: { 'x-tenant': 'acme' },
  createdAt: 1_700_000_000_000,
  attempt: 1,
});

/** Every message waiting in `queue`, taken off it. */
async function drain(channel: Channel, queue: string): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (
    let m = await channel.get(queue, { noAck: true });
    m;
    m = await channel.get(queue, { noAck: true })
  ) {
    out.push(m);
  }
  return out;
}

if (skip === null) {
  describe('rabbitPublisher', () => {
    let connection: ChannelModel;
    let admin: Channel;
    let exchange = '';
    let queue = '';

    before(async () => {
      connection = await amqp.connect(SERVICES.rabbitmq.url);
      admin = await connection.createChannel();
    });
    after(async () => {
      await connection.close();
    });
    beforeEach(async () => {
      exchange = uniqueName('accord_outbox_x');
      queue = uniqueName('accord_outbox_q');
      await admin.assertExchange(exchange, 'topic', { durable: false });
      await admin.assertQueue(queue, { durable: false });
      await admin.bindQueue(queue, exchange, 'user.*');
    });
    afterEach(async () => {
      await admin.deleteQueue(queue);
      await admin.deleteExchange(exchange);
    });

    test('a confirmed message lands in the bound queue, persistent, with its id and headers', async () => {
      const channel = await connection.createConfirmChannel();
      try {
        const publisher = rabbitPublisher(channel, { exchange });
        await publisher.publish(message('m-1'));
        const [got, ...rest] = await drain(admin, queue);
        assert.equal(rest.length, 0);
        assert.ok(got);
        assert.equal(got.content.toString(), '{"userId":"m-1"}');
        assert.equal(got.fields.routingKey, 'user.created');
        assert.equal(got.properties.messageId, 'm-1');
        assert.equal(got.properties.deliveryMode, 2);
        assert.equal(got.properties.contentType, 'application/json');
        assert.equal(got.properties.type, 'user.created');
        assert.equal(got.properties.timestamp, 1_700_000_000);
        assert.deepEqual(got.properties.headers, { 'x-tenant': 'acme' });
      } finally {
        await channel.close();
      }
    });

    test('an unroutable message is a failure; the channel stays usable', async () => {
      const channel = await connection.createConfirmChannel();
      try {
        const publisher = rabbitPublisher(channel, {
          exchange,
          routingKey: (m) => (m.id === 'lost' ? 'nobody.home' : m.topic),
        });
        await assert.rejects(publisher.publish(message('lost')), (error: unknown) => {
          assert.ok(error instanceof PublishError);
          assert.equal(error.code, 'PUBLISH_UNROUTABLE');
          assert.match(error.message, /routing key "nobody.home"/);
          return true;
        });
        await publisher.publish(message('found'));
        assert.deepEqual(
          (await drain(admin, queue)).map((m) => m.properties.messageId as string),
          ['found'],
        );
      } finally {
        await channel.close();
      }
    });

    test('a fixed channel the broker closed fails; a factory opens a new one', async () => {
      const gone = uniqueName('accord_outbox_gone');
      const fixed = await connection.createConfirmChannel();
      fixed.on('error', () => undefined);
      const broken = rabbitPublisher(fixed, { exchange: gone });
      await assert.rejects(broken.publish(message('a')), { code: 'PUBLISH_DISCONNECTED' });
      await assert.rejects(broken.publish(message('b')), { code: 'PUBLISH_DISCONNECTED' });

      let opened = 0;
      const publisher = rabbitPublisher(
        () => {
          opened += 1;
          return connection.createConfirmChannel();
        },
        { exchange, routingKey: (m) => (m.id === 'to-gone' ? 'x' : m.topic) },
      );
      try {
        await publisher.publish(message('first'));
        await admin.deleteExchange(exchange);
        await assert.rejects(publisher.publish(message('second')), {
          code: 'PUBLISH_DISCONNECTED',
        });
        await admin.assertExchange(exchange, 'topic', { durable: false });
        await admin.bindQueue(queue, exchange, 'user.*');
        await publisher.publish(message('third'));
        assert.equal(opened, 2, 'the channel closed by the 404 was replaced once');
        assert.deepEqual(
          (await drain(admin, queue)).map((m) => m.properties.messageId as string),
          ['first', 'third'],
        );
      } finally {
        await publisher.close();
      }
    });

    test('RabbitMQ cut off: the relay keeps the rows pending, then publishes each once restored', async () => {
      const dir = tempDir('accord-outbox-rabbit-');
      const db = new Database(join(dir.path, 'outbox.db'));
      const target = new URL(SERVICES.rabbitmq.url);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
      const recovering = await amqp.connect(proxy.rewrite(SERVICES.rabbitmq.url), {
        recovery: { initialDelay: 20, maxDelay: 100, maxRetries: Infinity },
      });
      recovering.on('error', () => undefined);
      const publisher = rabbitPublisher(() => recovering.createConfirmChannel(), {
        exchange,
        timeoutMs: 1_000,
      });
      const outbox = sqliteOutbox();
      outbox.migrate(db);
      const add = (n: number) =>
        db.transaction(() =>
          Array.from({ length: n }, (_, i) =>
            outbox.add(db, { topic: 'user.created', payload: { i } }),
          ),
        )();
      const rows = () =>
        db.prepare('SELECT id, status, attempts, last_error AS error FROM accord_outbox').all() as {
          id: string;
          status: string;
          attempts: number;
          error: string | null;
        }[];
      const relay = outbox.relay({
        db,
        publisher,
        intervalMs: 20,
        batchSize: 10,
        concurrency: 10,
        leaseMs: 10_000,
        retry: { firstDelayMs: 50, factor: 1, maxDelayMs: 50, jitter: 0 },
      });
      try {
        const before = add(1);
        await waitFor(() => rows().every((r) => r.status === 'sent'), {
          what: 'the first message sent',
        });

        proxy.cut();
        const during = add(5);
        await waitFor(
          () => rows().filter((r) => r.status === 'pending' && r.attempts >= 2).length === 5,
          {
            what: 'two failed attempts at each row while cut',
          },
        );
        for (const r of rows().filter((row) => row.status === 'pending')) {
          assert.match(r.error ?? '', /PUBLISH_(TIMEOUT|DISCONNECTED)/);
        }
        assert.equal((await admin.checkQueue(queue)).messageCount, 1, 'nothing got through');

        proxy.restore();
        await waitFor(() => rows().every((r) => r.status === 'sent'), {
          timeoutMs: 15_000,
          what: 'every row sent after the restore',
        });
        const ids = (await drain(admin, queue)).map((m) => m.properties.messageId as string);
        assert.deepEqual(ids.sort(), [...before, ...during].sort(), 'each message exactly once');
      } finally {
        await relay.stop();
        await publisher.close();
        await recovering.close();
        await proxy.close();
        db.close();
        dir.remove();
      }
    });
  });
} else {
  test('rabbitPublisher', (t) => t.skip(skip));
}
