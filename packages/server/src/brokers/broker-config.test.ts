import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BrokerConfigError,
  checkBrokerUrl,
  parseBrokersSetting,
  redactBrokerUrl,
} from './broker-config.js';

describe('ACCORD_BROKERS', () => {
  it('parses named brokers and takes the kind from the scheme', () => {
    assert.deepEqual(
      parseBrokersSetting(
        ' events=amqp://guest:guest@127.0.0.1:5672 , stream=nats://127.0.0.1:4222,' +
          'secure=amqps://mq.internal/prod,edge_2=tls://nats.internal:4443,',
      ),
      [
        { name: 'events', kind: 'rabbitmq', url: 'amqp://guest:guest@127.0.0.1:5672' },
        { name: 'stream', kind: 'nats', url: 'nats://127.0.0.1:4222' },
        { name: 'secure', kind: 'rabbitmq', url: 'amqps://mq.internal/prod' },
        { name: 'edge_2', kind: 'nats', url: 'tls://nats.internal:4443' },
      ],
    );
    assert.deepEqual(parseBrokersSetting(''), []);
    assert.deepEqual(parseBrokersSetting('  '), []);
  });

  it('keeps query parameters of a URL (an "=" after the first belongs to the URL)', () => {
    const [broker] = parseBrokersSetting('events=amqp://mq/?heartbeat=5');
    assert.equal(broker?.url, 'amqp://mq/?heartbeat=5');
  });

  const bad: Array<[string, RegExp]> = [
    ['events', /entry 1 \("events"\) must have the form name=url/],
    ['Events=amqp://mq', /broker name "Events" is invalid/],
    ['=amqp://mq', /broker name "" is invalid/],
    ['-x=amqp://mq', /broker name "-x" is invalid/],
    [`${'a'.repeat(64)}=amqp://mq`, /is invalid .*at most 63/],
    ['a=amqp://mq,b=nats://n,a=nats://n2', /entry 3 .*broker "a" is defined twice/],
    ['a=http://mq', /unsupported scheme "http:"/],
    ['a=mq:5672', /unsupported scheme "mq:"/],
    ['a=127.0.0.1:5672', /no scheme/],
    ['a=', /the URL is empty/],
    ['a=amqp:mq', /must look like amqp:\/\/host/],
    ['a=amqp://', /no host/],
    ['a=nats://h:99999', /malformed/],
    ['a=nats://h:4222/x', /NATS URL takes no path/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.throws(
        () => parseBrokersSetting(text),
        (error: unknown) => {
          assert.ok(error instanceof BrokerConfigError);
          assert.match(error.message, message);
          assert.match(error.message, /^ACCORD_BROKERS entry \d+ /);
          return true;
        },
      );
    });
  }

  it('never prints a password in an error', () => {
    assert.throws(
      () => parseBrokersSetting('a=amqp://u:hunter2@mq,a=amqp://u:hunter2@mq'),
      (error: Error) => !error.message.includes('hunter2') && /u:\*\*\*@mq/.test(error.message),
    );
  });

  it('checks a single URL', () => {
    assert.equal(checkBrokerUrl('nats://127.0.0.1:4222'), null);
    assert.match(checkBrokerUrl('redis://x') ?? '', /unsupported scheme/);
  });
});

describe('redactBrokerUrl', () => {
  it('hides passwords and NATS tokens, nothing else', () => {
    assert.equal(
      redactBrokerUrl('amqp://app:s3cret@mq:5672/prod?heartbeat=5'),
      'amqp://app:***@mq:5672/prod?heartbeat=5',
    );
    assert.equal(redactBrokerUrl('nats://u:p@n:4222'), 'nats://u:***@n:4222');
    assert.equal(redactBrokerUrl('nats://s3cret-token@n:4222'), 'nats://***@n:4222');
    assert.equal(redactBrokerUrl('amqp://guest@mq'), 'amqp://guest@mq');
    assert.equal(redactBrokerUrl('amqp://mq:5672'), 'amqp://mq:5672');
    assert.equal(redactBrokerUrl('amqp://u:p@w@bad:99999'), 'amqp://***@w@bad:99999');
  });
});
