import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { requireService, SERVICES, TcpProxy, uniqueName } from '@accord/testkit';
import type { BrokerMessage } from './publish-within.js';
import { RabbitPublisher, type RabbitDestination } from './rabbitmq-publisher.js';

const skip = await requireService('rabbitmq');
const T0 = 1_700_000_000_000;

function to(exchange: string, routingKey: string): RabbitDestination {
  return { exchange, routingKey };
}

function message(id: string, body = `{"id":"${id}"}`): BrokerMessage {
  return { id, body, headers: { 'x-tenant': 't1', 'accord-gid': 'g' } };
}

/** An exchange bound to a queue with key `k`, both unique to the test. */
interface Route {
  exchange: string;
  queue: string;
}

describe('RabbitMQ publisher', { skip: skip ?? false }, () => {
  let admin: ChannelModel;
  let channel: Channel;
  const routes: Route[] = [];

  before(async () => {
    admin = await amqp.connect(SERVICES.rabbitmq.url);
    admin.on('error', () => undefined);
    channel = await admin.createChannel();
    channel.on('error', () => undefined);
  });
  after(async () => {
    for (const { exchange, queue } of routes) {
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
    }
    await admin.close();
  });

  async function route(): Promise<Route> {
    const created = { exchange: uniqueName('accord_ex'), queue: uniqueName('accord_q') };
    routes.push(created);
    await channel.assertExchange(created.exchange, 'direct', { durable: false });
    await channel.assertQueue(created.queue, { durable: true });
    await channel.bindQueue(created.queue, created.exchange, 'k');
    return created;
  }

  /** Every message now in the queue, removed from it. */
  async function drain(queue: string): Promise<GetMessage[]> {
    const found: GetMessage[] = [];
    for (;;) {
      const got = await channel.get(queue, { noAck: true });
      if (got === false) return found;
      found.push(got);
    }
  }

  function publisher(url = SERVICES.rabbitmq.url): RabbitPublisher {
    return new RabbitPublisher({ name: 'events', url, clock: { now: () => T0 } });
  }

  it('is confirmed and really sits in the bound queue, persistent, with id and headers', async () => {
    const { exchange, queue } = await route();
    const events = publisher();
    try {
      const result = await events.publish(
        to(exchange, 'k'),
        { ...message('g-1/b1'), headers: { ...message('').headers, CC: 'elsewhere', bcc: 'x' } },
        2000,
      );
      assert.deepEqual(result, { ok: true, duplicate: false });
      const [stored, ...rest] = await drain(queue);
      assert.equal(rest.length, 0);
      assert.ok(stored);
      assert.equal(stored.content.toString(), '{"id":"g-1/b1"}');
      assert.equal(stored.properties.messageId, 'g-1/b1');
      assert.equal(stored.properties.deliveryMode, 2);
      assert.equal(stored.properties.contentType, 'application/json');
      assert.equal(stored.properties.timestamp, T0 / 1000);
      assert.deepEqual(stored.properties.headers, { 'x-tenant': 't1', 'accord-gid': 'g' });
      assert.equal(stored.fields.routingKey, 'k');

      // The default exchange reaches a queue by name; an empty body goes out without a type.
      assert.deepEqual(await events.publish(to('', queue), message('g-1/b2', ''), 2000), {
        ok: true,
        duplicate: false,
      });
      const [direct] = await drain(queue);
      assert.equal(direct?.content.length, 0);
      assert.equal(direct?.properties.contentType, undefined);
    } finally {
      await events.close();
    }
  });

  it('reports an unroutable message as an error, not a delivery', async () => {
    const { exchange, queue } = await route();
    const events = publisher();
    try {
      assert.deepEqual(await events.publish(to(exchange, 'nobody'), message('u-1'), 2000), {
        ok: false,
        message: `unroutable: no queue bound for exchange "${exchange}" key "nobody"`,
      });
      const missing = uniqueName('accord_noq');
      assert.deepEqual(await events.publish(to('', missing), message('u-2'), 2000), {
        ok: false,
        message: `unroutable: no queue named "${missing}" (default exchange)`,
      });
      // Several at once on one channel: each return lands on its own publish.
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((n, i) =>
          events.publish(to(exchange, i % 2 === 0 ? 'k' : 'nobody'), message(`u-${n}`), 2000),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, false, true, false],
      );
      assert.deepEqual((await drain(queue)).map((m) => m.properties.messageId as string).sort(), [
        'u-a',
        'u-c',
      ]);
      // The same id twice at once, once routable and once not: the return is not misapplied.
      const same = await Promise.all(
        ['nobody', 'k'].map((key) => events.publish(to(exchange, key), message('u-same'), 2000)),
      );
      assert.deepEqual(
        same.map((r) => r.ok),
        [false, true],
      );
      assert.equal((await drain(queue)).length, 1);
    } finally {
      await events.close();
    }
  });

  it('names a missing exchange, and the channel keeps working for other targets', async () => {
    const { exchange, queue } = await route();
    const events = publisher();
    try {
      const missing = uniqueName('accord_noex');
      const [bad, good] = await Promise.all([
        events.publish(to(missing, 'k'), message('m-1'), 2000),
        events.publish(to(exchange, 'k'), message('m-2'), 2000),
      ]);
      assert.deepEqual(bad, {
        ok: false,
        message: `RabbitMQ broker "events": exchange "${missing}" does not exist`,
      });
      assert.deepEqual(good, { ok: true, duplicate: false });
      assert.equal((await drain(queue)).length, 1);

      // An exchange deleted after it was seen closes the channel; the next publish reopens.
      const gone = await route();
      const goneTarget = to(gone.exchange, 'k');
      assert.equal((await events.publish(goneTarget, message('m-3'), 2000)).ok, true);
      await channel.deleteExchange(gone.exchange);
      const lost = await events.publish(goneTarget, message('m-4'), 2000);
      assert.equal(lost.ok, false);
      assert.match(lost.ok ? '' : lost.message, /NOT_FOUND - no exchange/);
      const back = await events.publish(to(exchange, 'k'), message('m-5'), 2000);
      assert.deepEqual(back, { ok: true, duplicate: false });
      assert.deepEqual(
        (await drain(queue)).map((m) => m.properties.messageId as string),
        ['m-5'],
      );
    } finally {
      await events.close();
    }
  });

  it('fails fast while the broker is down and works again once it is back', async () => {
    const { exchange, queue } = await route();
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(SERVICES.rabbitmq.url).port));
    const events = publisher(proxy.rewrite(SERVICES.rabbitmq.url));
    const destination = to(exchange, 'k');
    const confirmed: string[] = [];
    const publish = async (id: string, timeoutMs = 2000) => {
      const started = performance.now();
      const result = await events.publish(destination, message(id), timeoutMs);
      if (result.ok) confirmed.push(id);
      return { result, ms: performance.now() - started };
    };
    try {
      assert.equal((await publish('o-1')).result.ok, true);
      proxy.cut();
      const down = await publish('o-2', 1500);
      assert.equal(down.result.ok, false);
      assert.ok(down.ms < 1600, `took ${down.ms} ms`);
      const again = await publish('o-3', 1500);
      assert.equal(again.result.ok, false);
      assert.match(
        again.result.ok ? '' : again.result.message,
        /^RabbitMQ broker "events": cannot connect to amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+/,
      );
      assert.ok(again.ms < 1000, `a publish while down took ${again.ms} ms`);
      proxy.restore();
      assert.equal((await publish('o-4')).result.ok, true);
      assert.equal((await publish('o-5')).result.ok, true);
      const stored = (await drain(queue)).map((m) => m.properties.messageId as string);
      assert.deepEqual(stored, confirmed);
      assert.deepEqual(confirmed, ['o-1', 'o-4', 'o-5']);
    } finally {
      await events.close();
      await proxy.close();
    }
  });

  it('never waits past its timeout, even on a server that never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const events = publisher(`amqp://guest:guest@127.0.0.1:${port}`);
    try {
      const started = performance.now();
      const result = await events.publish(to('x', 'k'), message('t-1'), 300);
      const ms = performance.now() - started;
      assert.deepEqual(result, {
        ok: false,
        message: `RabbitMQ broker "events": timed out after 300 ms connecting to amqp://guest:***@127.0.0.1:${port}`,
      });
      assert.ok(ms < 600, `took ${ms} ms`);
    } finally {
      await events.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
