import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { connect, headers, type JetStreamManager, type NatsConnection } from 'nats';
import { requireService, SERVICES, tempDir, uniqueName } from '@accord/testkit';
import { natsPublisher, type PubAckLike } from './nats-publisher.js';
import { PublishError } from './publish-error.js';
import { sqliteOutbox } from './sqlite-outbox.js';
import type { OutboxMessage } from './types.js';

const skip = await requireService('nats');

const message = (id: string, topic = 'user.created'): OutboxMessage => ({
  id,
  topic,
  payload: { userId: id },
  payloadJson: JSON.stringify({ userId: id }),
  headers: { 'x-tenant': 'acme' },
  createdAt: 1_700_000_000_000,
  attempt: 1,
});

if (skip === null) {
  describe('natsPublisher', () => {
    let nc: NatsConnection;
    let jsm: JetStreamManager;
    let stream = '';
    let prefix = '';

    before(async () => {
      nc = await connect({ servers: SERVICES.nats.url });
      jsm = await nc.jetstreamManager();
    });
    after(async () => {
      await nc.close();
    });
    beforeEach(async () => {
      stream = uniqueName('ACCORD_OUTBOX');
      prefix = `accord.test.${stream}`;
      await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    });
    afterEach(async () => {
      await jsm.streams.delete(stream);
    });

    test('a message is stored once with its id; a republish is dropped as a duplicate', async () => {
      const acks: PubAckLike[] = [];
      const publisher = natsPublisher(nc.jetstream(), {
        subject: (m) => `${prefix}.${m.topic}`,
        headers,
        onAck: (ack) => acks.push(ack),
      });
      await publisher.publish(message('m-1'));
      await publisher.publish({ ...message('m-1'), attempt: 2 });
      await publisher.publish(message('m-2'));
      assert.deepEqual(
        acks.map((a) => [a.stream, a.seq, a.duplicate]),
        [
          [stream, 1, false],
          [stream, 1, true],
          [stream, 2, false],
        ],
      );
      assert.equal((await jsm.streams.info(stream)).state.messages, 2);
      const stored = await jsm.streams.getMessage(stream, { seq: 1 });
      assert.equal(stored.subject, `${prefix}.user.created`);
      assert.equal(new TextDecoder().decode(stored.data), '{"userId":"m-1"}');
      assert.equal(stored.header.get('Nats-Msg-Id'), 'm-1');
      assert.equal(stored.header.get('x-tenant'), 'acme');
    });

    test('a subject no stream captures is a failure', async () => {
      const publisher = natsPublisher(nc.jetstream(), { timeoutMs: 2_000 });
      await assert.rejects(
        publisher.publish(message('m-3', `${uniqueName('accord.nowhere')}`)),
        (error: unknown) => {
          assert.ok(error instanceof PublishError);
          assert.equal(error.code, 'PUBLISH_UNROUTABLE');
          return true;
        },
      );
    });

    test('a relay republishing rows (at-least-once) leaves one copy of each in the stream', async () => {
      const dir = tempDir('accord-outbox-nats-');
      const db = new Database(join(dir.path, 'outbox.db'));
      try {
        const outbox = sqliteOutbox();
        outbox.migrate(db);
        const ids = db.transaction(() =>
          [1, 2, 3].map((i) => outbox.add(db, { topic: 'order.placed', payload: { i } })),
        )();
        const publisher = natsPublisher(nc.jetstream(), { subject: (m) => `${prefix}.${m.topic}` });
        const relay = outbox.relay({ db, publisher, autoStart: false });
        assert.equal(await relay.runOnce(), 3);
        // As if the marks had been lost: every row is published again.
        db.prepare(
          "UPDATE accord_outbox SET status = 'pending', sent_at = NULL, available_at = 0",
        ).run();
        assert.equal(await relay.runOnce(), 3);
        await relay.stop();
        assert.equal((await jsm.streams.info(stream)).state.messages, 3);
        const stored = await Promise.all(
          [1, 2, 3].map((seq) => jsm.streams.getMessage(stream, { seq })),
        );
        assert.deepEqual(
          stored.map((m) => m.header.get('Nats-Msg-Id')),
          ids,
        );
      } finally {
        db.close();
        dir.remove();
      }
    });
  });
} else {
  test('natsPublisher', (t) => t.skip(skip));
}
