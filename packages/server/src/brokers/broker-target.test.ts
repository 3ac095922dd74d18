import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerConfig } from './broker-config.js';
import {
  BrokerTargetError,
  brokerTargetProblem,
  isBrokerTarget,
  natsSubject,
  parseBrokerTarget,
  rabbitDestination,
} from './broker-target.js';

const brokers: BrokerConfig[] = [
  { name: 'events', kind: 'rabbitmq', url: 'amqp://mq' },
  { name: 'stream', kind: 'nats', url: 'nats://n' },
];

function target(url: string) {
  const parsed = parseBrokerTarget(url);
  assert.ok(parsed, `${url} should parse`);
  return parsed;
}

describe('broker targets', () => {
  it('tells broker targets from other URLs', () => {
    assert.equal(isBrokerTarget('broker://events/x/y'), true);
    assert.equal(isBrokerTarget('BROKER://events/x/y'), true);
    assert.equal(isBrokerTarget('https://svc/x'), false);
    assert.equal(parseBrokerTarget('https://svc/broker://x'), null);
  });

  it('splits on literal slashes and percent-decodes each segment', () => {
    assert.deepEqual(target('broker://events/orders/order.created'), {
      url: 'broker://events/orders/order.created',
      broker: 'events',
      segments: ['orders', 'order.created'],
    });
    assert.deepEqual(target('broker://events/a%2Fb/k%20%C3%A9').segments, ['a/b', 'k é']);
  });

  it('resolves RabbitMQ exchange and routing key, default exchange included', () => {
    assert.deepEqual(rabbitDestination(target('broker://events/orders/created')), {
      exchange: 'orders',
      routingKey: 'created',
    });
    assert.deepEqual(rabbitDestination(target('broker://events//jobs')), {
      exchange: '',
      routingKey: 'jobs',
    });
    assert.deepEqual(rabbitDestination(target('broker://events/fanout/')), {
      exchange: 'fanout',
      routingKey: '',
    });
  });

  it('resolves a NATS subject', () => {
    assert.equal(natsSubject(target('broker://stream/orders.eu.created')), 'orders.eu.created');
    assert.equal(natsSubject(target('broker://stream/a%2Fb')), 'a/b');
  });

  const malformed: Array<[string, RegExp]> = [
    ['broker:events/x', /must look like broker:\/\/<name>\/<destination>/],
    ['broker:///x', /names no broker/],
    ['broker://Events/x', /"Events" is not a valid broker name/],
    ['broker://user@events/x', /"user@events" is not a valid broker name/],
    ['broker://events', /has no destination/],
    ['broker://events/', /has no destination/],
    ['broker://events/x?y=1', /must not have a query or fragment/],
    ['broker://events/x#y', /must not have a query or fragment/],
    ['broker://events/a%zz/b', /malformed percent-encoding in "a%zz"/],
  ];
  for (const [url, message] of malformed) {
    it(`rejects the malformed target ${url}`, () => {
      assert.throws(
        () => parseBrokerTarget(url),
        (error: unknown) => {
          assert.ok(error instanceof BrokerTargetError);
          assert.equal(error.code, 'INVALID_REQUEST');
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  const problems: Array<[string, RegExp | null]> = [
    ['broker://events/orders/created', null],
    ['broker://events//jobs', null],
    ['broker://stream/orders.created', null],
    ['https://svc/x', /"https:\/\/svc\/x" is not a broker:\/\/ target/],
    [
      'broker://nope/x',
      /unknown broker "nope" in "broker:\/\/nope\/x" \(configured: events, stream\)/,
    ],
    [
      'broker://events/orders',
      /a RabbitMQ target must be broker:\/\/events\/<exchange>\/<routingKey>/,
    ],
    ['broker://events/a/b/c', /percent-encode "\/" inside a name as %2F/],
    ['broker://events//', /default exchange needs a queue name/],
    [`broker://events/${'x'.repeat(256)}/k`, /exchange name is longer than 255 bytes/],
    [`broker://events/x/${'k'.repeat(256)}`, /routing key is longer than 255 bytes/],
    ['broker://stream/orders/created', /a NATS target must be broker:\/\/stream\/<subject>/],
    ['broker://stream/orders.*', /wildcard "\*"/],
    ['broker://stream/orders.>', /wildcard ">"/],
    ['broker://stream/orders%20created', /contains whitespace/],
    ['broker://stream/orders..created', /empty token/],
    ['broker://stream/.orders', /empty token/],
    ['broker://stream/orders.', /empty token/],
  ];
  for (const [url, problem] of problems) {
    it(`validates ${url.slice(0, 50)}`, () => {
      const found = brokerTargetProblem(url, brokers);
      if (problem === null) assert.equal(found, null);
      else assert.match(found ?? '(no problem)', problem);
    });
  }

  it('says when no broker is configured at all', () => {
    assert.match(
      brokerTargetProblem('broker://events/a/b', []) ?? '',
      /no brokers are configured; set ACCORD_BROKERS/,
    );
  });
});
