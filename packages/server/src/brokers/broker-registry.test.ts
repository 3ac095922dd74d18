import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBrokersSetting } from './broker-config.js';
import { BrokerRegistry } from './broker-registry.js';
import { parseBrokerTarget, type BrokerTarget } from './broker-target.js';
import type { BrokerMessage, Publisher, PublishResult } from './publisher.js';

const configs = parseBrokersSetting('events=amqp://127.0.0.1:1,stream=nats://127.0.0.1:1');
const message: BrokerMessage = { id: 'g/b', body: '{}', headers: {} };

function target(url: string): BrokerTarget {
  const parsed = parseBrokerTarget(url);
  assert.ok(parsed);
  return parsed;
}

/** A publisher that records what it was asked to do (no broker involved). */
class RecordingPublisher implements Publisher {
  readonly kind = 'rabbitmq' as const;
  readonly published: string[] = [];
  closes = 0;
  async publish(t: BrokerTarget, m: BrokerMessage): Promise<PublishResult> {
    this.published.push(`${t.url} ${m.id}`);
    return { ok: true, duplicate: false };
  }
  async close(): Promise<void> {
    this.closes += 1;
  }
}

describe('broker registry', () => {
  it('lists names and validates targets against the configured kinds', async () => {
    const registry = new BrokerRegistry(configs);
    assert.deepEqual(registry.names(), ['events', 'stream']);
    assert.equal(registry.validateTarget('broker://events/ex/key'), null);
    assert.equal(registry.validateTarget('broker://stream/a.b'), null);
    assert.match(registry.validateTarget('broker://stream/a/b') ?? '', /a NATS target must be/);
    assert.match(registry.validateTarget('broker://events/a') ?? '', /a RabbitMQ target must be/);
    assert.match(
      registry.validateTarget('broker://mail/x') ?? '',
      /unknown broker "mail" .*configured: events, stream/,
    );
    await registry.close();
  });

  it('routes each publish to the publisher of its broker, and refuses after close', async () => {
    const made = new Map<string, RecordingPublisher>();
    const registry = new BrokerRegistry(configs, {
      createPublisher: (config) => {
        const publisher = new RecordingPublisher();
        made.set(config.name, publisher);
        return publisher;
      },
    });
    assert.deepEqual(await registry.publish(target('broker://stream/a.b'), message, 100), {
      ok: true,
      duplicate: false,
    });
    assert.deepEqual(made.get('stream')?.published, ['broker://stream/a.b g/b']);
    assert.deepEqual(made.get('events')?.published, []);
    assert.deepEqual(await registry.publish(target('broker://mail/x'), message, 100), {
      ok: false,
      message: 'unknown broker "mail" in "broker://mail/x" (configured: events, stream)',
    });
    await Promise.all([registry.close(), registry.close()]);
    assert.equal(made.get('events')?.closes, 1);
    assert.deepEqual(await registry.publish(target('broker://stream/a.b'), message, 100), {
      ok: false,
      message: 'the broker registry is closed',
    });
  });

  it('refuses a target of the wrong shape for its broker without connecting', async () => {
    const registry = new BrokerRegistry(configs);
    const rabbit = await registry.publish(target('broker://events/only-one'), message, 300);
    assert.match(rabbit.ok ? '' : rabbit.message, /a RabbitMQ target must be/);
    const nats = await registry.publish(target('broker://stream/a/b'), message, 2000);
    assert.match(nats.ok ? '' : nats.message, /a NATS target must be broker:\/\/stream\/<subject>/);
    await registry.close();
  });
});
