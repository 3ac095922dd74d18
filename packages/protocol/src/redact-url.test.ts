import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl, redactUrlsIn } from './redact-url.js';

void describe('redactUrl', () => {
  void it('hides passwords, password parameters and secret user names, nothing else', () => {
    const cases: [string, string][] = [
      ['postgres://app:s3cret@db:5432/x', 'postgres://app:***@db:5432/x'],
      ['postgres://app:p@ss@db/x', 'postgres://app:***@db/x'],
      ['mysql://:pw@db/x', 'mysql://:***@db/x'],
      ['redis://db:6379/0?password=pw&prefix=a', 'redis://db:6379/0?password=***&prefix=a'],
      ['postgres://app@db/x', 'postgres://app@db/x'],
      ['https://alerts.example/in?to=a@b', 'https://alerts.example/in?to=a@b'],
      ['sqlite:/var/lib/accord.db', 'sqlite:/var/lib/accord.db'],
      ['amqp://u:p/w@mq:99999', 'amqp://***@mq:99999'],
    ];
    for (const [url, shown] of cases) assert.equal(redactUrl(url), shown, url);
    assert.equal(redactUrl('nats://t0ken@n:4222', { userIsSecret: true }), 'nats://***@n:4222');
  });

  void it('hides the credentials of every URL inside a message', () => {
    assert.equal(
      redactUrlsIn('a postgres://u:pw@h/x and "redis://:pw2@r:6379".'),
      'a postgres://u:***@h/x and "redis://:***@r:6379".',
    );
  });
});
