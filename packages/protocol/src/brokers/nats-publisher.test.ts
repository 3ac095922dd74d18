import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, DiscardPolicy, StorageType } from 'nats';
import type { JetStreamManager, JsMsg, NatsConnection } from 'nats';
import { requireService, SERVICES, TcpProxy, uniqueName } from '@accord/testkit';
import { NatsPublisher } from './nats-publisher.js';
import type { BrokerMessage } from './publish-within.js';

const skip = await requireService('nats');

function message(id: string, body = `{"id":"${id}"}`): BrokerMessage {
  return { id, body, headers: { 'x-tenant': 't1', 'accord-gid': 'g' } };
}

/** A message whose headers also try to steer JetStream. */
function withHeaders(id: string, extra: Record<string, string>): BrokerMessage {
  const base = message(id);
  return { ...base, headers: { ...base.headers, ...extra } };
}

describe('NATS JetStream publisher', { skip: skip ?? false }, () => {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  before(async () => {
    admin = await connect({ servers: SERVICES.nats.url });
    jsm = await admin.jetstreamManager();
  });
  after(async () => {
    for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
    await admin.close();
  });

  /** A fresh memory stream capturing `<name>.>`; its name doubles as the subject prefix. */
  async function stream(extra: { max_msgs?: number; discard?: DiscardPolicy } = {}) {
    const name = uniqueName('accord_s');
    streams.push(name);
    await jsm.streams.add({ name, subjects: [`${name}.>`], storage: StorageType.Memory, ...extra });
    return name;
  }

  /** Every message in the stream, read with an ordered consumer. */
  async function readAll(name: string): Promise<JsMsg[]> {
    const count = (await jsm.streams.info(name)).state.messages;
    const consumer = await admin.jetstream().consumers.get(name);
    const found: JsMsg[] = [];
    while (found.length < count) {
      const next = await consumer.next({ expires: 2000 });
      assert.ok(next, `message ${found.length + 1} of ${count} did not arrive`);
      found.push(next);
    }
    return found;
  }

  function publisher(url = SERVICES.nats.url): NatsPublisher {
    return new NatsPublisher({ name: 'stream', url, reconnectWaitMs: 50 });
  }

  it('is confirmed by a PubAck and stored with body, headers and msgID', async () => {
    const name = await stream();
    const nats = publisher();
    try {
      assert.deepEqual(
        await nats.publish(
          `${name}.orders.created`,
          withHeaders('g-1/b1', { 'Nats-Msg-Id': 'forged', 'nats-rollup': 'all' }),
          2000,
        ),
        { ok: true, duplicate: false },
      );
      assert.deepEqual(await nats.publish(`${name}.empty`, message('g-1/b2', ''), 2000), {
        ok: true,
        duplicate: false,
      });
      const [first, second] = await readAll(name);
      assert.ok(first && second);
      assert.equal(first.subject, `${name}.orders.created`);
      assert.equal(first.string(), '{"id":"g-1/b1"}');
      assert.equal(first.headers?.get('Nats-Msg-Id'), 'g-1/b1');
      assert.equal(first.headers?.get('x-tenant'), 't1');
      assert.equal(first.headers?.get('accord-gid'), 'g');
      assert.equal(first.headers?.has('nats-rollup'), false);
      assert.equal(first.headers?.get('content-type'), 'application/json');
      assert.equal(second.data.length, 0);
      assert.equal(second.headers?.get('content-type'), '');
    } finally {
      await nats.close();
    }
  });

  it('stores the same msgID once; the repeat is still a success', async () => {
    const name = await stream();
    const nats = publisher();
    try {
      const to = `${name}.x`;
      assert.deepEqual(await nats.publish(to, message('d-1'), 2000), {
        ok: true,
        duplicate: false,
      });
      assert.deepEqual(await nats.publish(to, message('d-1'), 2000), { ok: true, duplicate: true });
      assert.deepEqual(await nats.publish(to, message('d-2'), 2000), {
        ok: true,
        duplicate: false,
      });
      const stored = await readAll(name);
      assert.deepEqual(
        stored.map((m) => m.headers?.get('Nats-Msg-Id')),
        ['d-1', 'd-2'],
      );
    } finally {
      await nats.close();
    }
  });

  it('reports a subject no stream captures, and a stream that refuses the message', async () => {
    const name = await stream({ max_msgs: 1, discard: DiscardPolicy.New });
    const nats = publisher();
    try {
      const orphan = `${uniqueName('accord_none')}.x`;
      assert.deepEqual(await nats.publish(`${orphan}`, message('n-1'), 2000), {
        ok: false,
        message:
          `NATS broker "stream": no JetStream stream captures subject "${orphan}" (no responders); ` +
          'an operator must create a stream for it',
      });
      const to = `${name}.x`;
      assert.equal((await nats.publish(to, message('n-2'), 2000)).ok, true);
      const full = await nats.publish(to, message('n-3'), 2000);
      assert.equal(full.ok, false);
      assert.match(
        full.ok ? '' : full.message,
        new RegExp(`JetStream refused the message on "${name}.x": maximum messages exceeded`),
      );
    } finally {
      await nats.close();
    }
  });

  it('fails within its timeout while the server is away and succeeds once it is back', async () => {
    const name = await stream();
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(SERVICES.nats.url).port));
    const nats = publisher(proxy.rewrite(SERVICES.nats.url));
    const to = `${name}.x`;
    const confirmed: string[] = [];
    const publish = async (id: string, timeoutMs: number) => {
      const started = performance.now();
      const result = await nats.publish(to, message(id), timeoutMs);
      if (result.ok) confirmed.push(id);
      return { result, ms: performance.now() - started };
    };
    try {
      assert.equal((await publish('o-1', 2000)).result.ok, true);
      proxy.cut();
      for (const id of ['o-2', 'o-3']) {
        const down = await publish(id, 500);
        assert.equal(down.result.ok, false);
        assert.ok(down.ms < 800, `${id} took ${down.ms} ms`);
      }
      const waiting = await publish('o-4', 300);
      assert.match(
        waiting.result.ok ? '' : waiting.result.message,
        /^NATS broker "stream": timed out after 300 ms waiting to reconnect \(disconnected from /,
      );
      proxy.restore();
      assert.equal((await publish('o-5', 5000)).result.ok, true);
      assert.equal((await publish('o-6', 2000)).result.ok, true);
      const stored = (await readAll(name)).map((m) => m.headers?.get('Nats-Msg-Id'));
      for (const id of confirmed) assert.ok(stored.includes(id), `confirmed ${id} is not stored`);
      assert.deepEqual(confirmed, ['o-1', 'o-5', 'o-6']);
    } finally {
      await nats.close();
      await proxy.close();
    }
  });

  it('fails fast when no server listens', async () => {
    const nats = publisher('nats://127.0.0.1:1');
    try {
      const refused = await nats.publish('a.b', message('f-1'), 2000);
      assert.deepEqual(refused, {
        ok: false,
        message: 'NATS broker "stream": cannot connect to nats://127.0.0.1:1: CONNECTION_REFUSED',
      });
    } finally {
      await nats.close();
    }
  });
});
