import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from './config.js';

describe('configuration', () => {
  it('has loopback defaults and a SQLite store in the data dir', () => {
    const config = loadConfig({}, { ACCORD_DATA_DIR: '/tmp/accord-x' });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 7070);
    assert.equal(config.store, 'sqlite:/tmp/accord-x/accord.db');
    assert.equal(config.defaults.requestTimeoutMs, 3_000);
    assert.equal(config.defaults.preparedTimeoutMs, 35_000);
    assert.equal(config.defaults.retry.maxAttempts, 30);
  });

  it('lets flags override the environment', () => {
    const config = loadConfig({ port: '9000', host: '127.0.0.2' }, { ACCORD_PORT: '8000' });
    assert.equal(config.port, 9000);
    assert.equal(config.host, '127.0.0.2');
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ ACCORD_PORT: 'abc' }, /ACCORD_PORT must be an integer from 0 to 65535 \(got "abc"\)/],
    [{ ACCORD_PORT: '70000' }, /ACCORD_PORT/],
    [
      { ACCORD_STORE: 'mongodb://x' },
      /ACCORD_STORE must be a URL starting with sqlite:, postgres:\/\/, mysql:\/\/, mariadb:\/\/ or redis:\/\//,
    ],
    [{ ACCORD_HOST: '0.0.0.0' }, /ACCORD_HOST is 0\.0\.0\.0, beyond loopback: set ACCORD_TOKEN/],
    [{ ACCORD_TOKEN: 'short' }, /ACCORD_TOKEN must be at least 16 characters/],
    [{ ACCORD_LOG_LEVEL: 'loud' }, /ACCORD_LOG_LEVEL must be one of/],
    [{ ACCORD_RETRY_JITTER: '2' }, /ACCORD_RETRY_JITTER must be a number from 0 to 1/],
    [
      { ACCORD_RETRY_FIRST_MS: '5000', ACCORD_RETRY_MAX_MS: '1000' },
      /ACCORD_RETRY_MAX_MS \(1000\) must not be less than ACCORD_RETRY_FIRST_MS/,
    ],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} naming the setting`, () => {
      assert.throws(
        () => loadConfig({}, env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    });
  }

  it('listens beyond loopback once a token is set, and never prints secrets', () => {
    const config = loadConfig(
      {},
      {
        ACCORD_HOST: '0.0.0.0',
        ACCORD_TOKEN: 'a-very-secret-token-1',
        ACCORD_SIGNING_SECRET: 'hmac-secret',
        ACCORD_STORE: 'postgres://user:pw@db:5432/accord',
      },
    );
    const printed = JSON.stringify(redactConfig(config));
    assert.doesNotMatch(printed, /a-very-secret-token-1|hmac-secret|:pw@/);
    assert.match(printed, /postgres:\/\/user:\*\*\*@db:5432\/accord/);
  });
});
