import assert from 'node:assert/strict';
import { verifySignature } from '@accord/client/participant';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { connect, StorageType } from 'nats';
import type { JetStreamManager, NatsConnection } from 'nats';
import type { TransactionRecord } from '@accord/core';
import { requireService, SERVICES, uniqueName } from '@accord/testkit';
import { OPTIONS, op, txRecord } from '@accord/store-conformance';
import { BrokerBranchCaller } from './broker-branch-caller.js';
import { BrokerRegistry } from './broker-registry.js';

const skipRabbit = await requireService('rabbitmq');
const skipNats = await requireService('nats');
const SECRET = 'broker-signing-secret';
const NOW = 1_700_000_123_456;

const tx: TransactionRecord = txRecord(uniqueName('g'), {
  mode: 'msg',
  options: { ...OPTIONS, requestTimeoutMs: 2000, headers: { 'x-tenant': 't1' } },
});

/** Checks the Accord headers a consumer sees, signature included. */
function assertAccordHeaders(headers: (name: string) => string | undefined, body: string): void {
  assert.equal(headers('accord-gid'), tx.gid);
  assert.equal(headers('accord-branch'), 'b1');
  assert.equal(headers('accord-op'), 'action');
  assert.equal(headers('accord-mode'), 'msg');
  assert.equal(headers('x-tenant'), 't1');
  assert.match(headers('traceparent') ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  // What a participant using the SDK checks: the signature binds this call and its body.
  const call = { gid: tx.gid, branchId: 'b1', op: 'action', mode: 'msg' };
  verifySignature(SECRET, headers('accord-signature'), call, body, { now: NOW });
  assert.throws(() =>
    verifySignature(SECRET, headers('accord-signature'), { ...call, op: 'check' }, body, {
      now: NOW,
    }),
  );
}

function callerFor(registry: BrokerRegistry, signingSecret: string | null = SECRET) {
  return new BrokerBranchCaller({ registry, signingSecret, clock: { now: () => NOW } });
}

describe('broker branch calls to RabbitMQ', { skip: skipRabbit ?? false }, () => {
  let admin: ChannelModel;
  let channel: Channel;
  const queue = uniqueName('accord_bq');
  const exchange = uniqueName('accord_bx');
  const caller = callerFor(
    new BrokerRegistry([{ name: 'events', kind: 'rabbitmq', url: SERVICES.rabbitmq.url }]),
  );

  before(async () => {
    admin = await amqp.connect(SERVICES.rabbitmq.url);
    channel = await admin.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: false });
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, exchange, 'orders.*');
  });
  after(async () => {
    await caller.close();
    await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await admin.close();
  });

  it('publishes the payload with Accord headers and a verifiable signature', async () => {
    const outcome = await caller.call(
      tx,
      op('b1', 'action', 0, {
        url: `broker://events/${exchange}/orders.created`,
        payload: '{"order":7}',
      }),
    );
    assert.deepEqual(outcome, { kind: 'success', httpStatus: null, message: null });
    const got = await channel.get(queue, { noAck: true });
    assert.ok(got);
    assert.equal(got.content.toString(), '{"order":7}');
    assert.equal(got.properties.messageId, `${tx.gid}/b1`);
    const headers = got.properties.headers as Record<string, unknown>;
    assertAccordHeaders((name) => headers[name] as string | undefined, '{"order":7}');
  });

  it('maps every failure to an error outcome with the reason', async () => {
    const call = (url: string) => caller.call(tx, op('b1', 'action', 0, { url, payload: '{}' }));
    assert.deepEqual(await call(`broker://events/${exchange}/payments.created`), {
      kind: 'error',
      httpStatus: null,
      message: `unroutable: no queue bound for exchange "${exchange}" key "payments.created"`,
    });
    assert.deepEqual(await call('broker://other/x/y'), {
      kind: 'error',
      httpStatus: null,
      message: 'unknown broker "other" in "broker://other/x/y" (configured: events)',
    });
    const malformed = await call('broker://events/x?y');
    assert.equal(malformed.kind, 'error');
    assert.match(malformed.message ?? '', /must not have a query or fragment/);
    const http = await call('http://svc/x');
    assert.equal(http.message, '"http://svc/x" is not a broker:// target');
  });
});

describe('broker branch calls to NATS JetStream', { skip: skipNats ?? false }, () => {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName('accord_bs');
  const caller = callerFor(
    new BrokerRegistry([{ name: 'stream', kind: 'nats', url: SERVICES.nats.url }]),
    SECRET,
  );

  before(async () => {
    admin = await connect({ servers: SERVICES.nats.url });
    jsm = await admin.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: StorageType.Memory });
  });
  after(async () => {
    await caller.close();
    await jsm.streams.delete(stream);
    await admin.close();
  });

  it('publishes once per op id, with Accord headers and a verifiable signature', async () => {
    const delivery = op('b1', 'action', 0, {
      url: `broker://stream/${stream}.orders.created`,
      payload: '{"order":8}',
    });
    const success = { kind: 'success', httpStatus: null, message: null };
    assert.deepEqual(await caller.call(tx, delivery), success);
    // A retry of the same op is deduplicated by the stream, and still a success.
    assert.deepEqual(await caller.call(tx, delivery), success);
    assert.equal((await jsm.streams.info(stream)).state.messages, 1);
    const consumer = await admin.jetstream().consumers.get(stream);
    const got = await consumer.next({ expires: 2000 });
    assert.ok(got);
    assert.equal(got.subject, `${stream}.orders.created`);
    assert.equal(got.string(), '{"order":8}');
    assert.equal(got.headers?.get('Nats-Msg-Id'), `${tx.gid}/b1`);
    assertAccordHeaders((name) => got.headers?.get(name) || undefined, '{"order":8}');
  });

  it('reports a subject without a stream as an error outcome', async () => {
    const outcome = await caller.call(
      tx,
      op('b2', 'action', 1, { url: `broker://stream/${stream}_none.x`, payload: '' }),
    );
    assert.equal(outcome.kind, 'error');
    assert.equal(outcome.httpStatus, null);
    assert.match(outcome.message ?? '', /no JetStream stream captures subject/);
  });
});
