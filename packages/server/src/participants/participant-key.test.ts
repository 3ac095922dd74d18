import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PARTICIPANT_PATTERN } from '@accord/core/schemas';
import { capsList } from '../config/setting-types.js';
import { parseCapsEntry } from './participant-caps.js';
import { normalParticipant, PARTICIPANT, participantOf } from './participant-key.js';
import { TokenBucket } from './token-bucket.js';

describe('participant keys', () => {
  it('are the lower-case host:port of a target, with the default port of its scheme', () => {
    assert.equal(participantOf('http://Pay.Internal/charge'), 'pay.internal:80');
    assert.equal(participantOf('https://pay.internal/charge?x=1'), 'pay.internal:443');
    assert.equal(participantOf('http://127.0.0.1:8080/a'), '127.0.0.1:8080');
    assert.equal(participantOf('http://[::1]:9000/a'), '[::1]:9000');
    assert.equal(participantOf('grpc://Bank:50051/bank.Bank/Pay'), 'bank:50051');
    assert.equal(participantOf('grpcs://bank/bank.Bank/Pay'), 'bank:443');
    assert.equal(participantOf('broker://rabbit/orders'), null);
    assert.equal(participantOf('not a url'), null);
  });

  it('as people write them: host:port, ports 1-65535', () => {
    assert.equal(normalParticipant('Pay.internal:8080'), 'pay.internal:8080');
    assert.equal(normalParticipant('[::1]:9000'), '[::1]:9000');
    assert.equal(normalParticipant('pay.internal'), null);
    assert.equal(normalParticipant('pay:0'), null);
    assert.equal(normalParticipant('pay:65536'), null);
    assert.equal(normalParticipant('http://pay:80'), null);
  });

  it('follow the same pattern as the API schema', () => {
    assert.equal(PARTICIPANT.source, new RegExp(PARTICIPANT_PATTERN).source);
  });
});

describe('participant caps settings', () => {
  it('read host:port=concurrency/rate, either may be -', () => {
    assert.deepEqual(parseCapsEntry('Pay:8080=4/20'), [
      'pay:8080',
      { concurrency: 4, ratePerSec: 20 },
    ]);
    assert.deepEqual(parseCapsEntry('[::1]:9000=-/0.5'), [
      '[::1]:9000',
      { concurrency: null, ratePerSec: 0.5 },
    ]);
    assert.deepEqual(parseCapsEntry('a:1=8/-'), ['a:1', { concurrency: 8, ratePerSec: null }]);
  });

  it('name the entry and why when it is malformed', () => {
    const cases: Array<[string, RegExp]> = [
      ['pay:8080', /"pay:8080" must be host:port=concurrency\/ratePerSec/],
      ['pay=4/20', /"pay" is not host:port/],
      ['pay:8080=4', /after = comes concurrency\/ratePerSec/],
      ['pay:8080=0/20', /the concurrency must be a whole number from 1/],
      ['pay:8080=2.5/20', /the concurrency must be a whole number/],
      ['pay:8080=4/0', /the rate must be a number of calls per second above 0/],
      ['pay:8080=4/fast', /the rate must be/],
    ];
    for (const [entry, message] of cases)
      assert.throws(() => parseCapsEntry(entry), message, entry);
    assert.throws(
      () => capsList().parse('a:1=1/1, b:2=x/1', 'ACCORD_PARTICIPANT_CAPS'),
      /^ConfigError: ACCORD_PARTICIPANT_CAPS: "b:2=x\/1": the concurrency/,
    );
    assert.throws(
      () => capsList().parse('a:1=1/1,A:1=2/2', 'ACCORD_PARTICIPANT_CAPS'),
      /ACCORD_PARTICIPANT_CAPS: a:1 is listed twice/,
    );
  });
});

describe('token bucket', () => {
  it('hands out a burst, then reservations spaced by the rate', () => {
    const bucket = TokenBucket.forRate(20, 0); // burst 2
    assert.deepEqual(
      [bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)],
      [0, 0, 50, 100],
    );
    assert.equal(bucket.waitMs(100), 50);
    assert.equal(bucket.take(1_000), 0);
  });
});
