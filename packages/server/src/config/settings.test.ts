import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CrashPoints } from '../engine/crash-points.js';
import { ConfigError, loadCliTarget, loadConfig, redactConfig } from './config.js';
import { SERVER_SETTINGS, SETTINGS } from './settings.js';

const isConfigError = (message: RegExp) => (e: unknown) =>
  e instanceof ConfigError && message.test(e.message);

void describe('settings table', () => {
  void it('names each variable once, and says in words every default drawn at start', () => {
    const names = Object.values(SETTINGS).map((s) => s.env);
    assert.equal(new Set(names).size, names.length);
    for (const setting of Object.values(SETTINGS)) {
      if (typeof setting.default === 'function') assert.ok(setting.defaultText, setting.env);
    }
  });

  void it('parses every default it documents', () => {
    for (const setting of Object.values(SETTINGS)) {
      const text = typeof setting.default === 'function' ? setting.default() : setting.default;
      if (text) assert.doesNotThrow(() => setting.type.parse(text, setting.env), setting.env);
    }
  });

  void it('prints every secret as *** and no password of any URL', () => {
    const secrets = Object.values(SERVER_SETTINGS).filter((s) => 'secret' in s && s.secret);
    assert.deepEqual(
      secrets.map((s) => s.env),
      ['ACCORD_TOKEN', 'ACCORD_ADMIN_TOKEN', 'ACCORD_TOKENS', 'ACCORD_SIGNING_SECRET'],
    );
    const env: Record<string, string> = {
      ACCORD_STORE: 'postgres://app:store-pw-1@db/accord',
      ACCORD_BROKERS: 'events=amqp://app:broker-pw-2@mq:5672,stream=nats://nats-token-3@n:4222',
      ACCORD_ALERT_URL: 'https://hook:alert-pw-4@alerts.example/in',
    };
    for (const [i, s] of secrets.entries()) env[s.env] = `secret-value-${i}-xxxxxxxxxx`;
    env['ACCORD_TOKENS'] = 'ci:admin:secret-value-named-xxxxxxxx';
    const printed = JSON.stringify(redactConfig(loadConfig({}, env)));
    assert.doesNotMatch(printed, /secret-value|store-pw|broker-pw|nats-token|alert-pw/);
    for (const key of ['token', 'adminToken', 'tokens', 'signingSecret']) {
      assert.match(printed, new RegExp(`"${key}":"\\*\\*\\*"`), key);
    }
    assert.match(printed, /https:\/\/hook:\*\*\*@alerts\.example\/in/);
  });

  void it('names the flag a bad value came from, and lets an empty flag fall back', () => {
    assert.throws(() => loadConfig({ port: 'x' }), isConfigError(/^--port must be an integer/));
    assert.equal(loadConfig({ port: ' ' }, { ACCORD_PORT: '8000' }).port, 8000);
  });

  void it('resolves every sqlite: form to one absolute file and refuses one without a path', () => {
    for (const store of ['sqlite:a.db', 'sqlite://a.db', 'sqlite:/d/a.db', 'sqlite:///d/a.db']) {
      assert.equal(loadConfig({ store, dataDir: '/d' }).store, 'sqlite:/d/a.db', store);
    }
    assert.equal(loadConfig({ store: 'sqlite::memory:' }).store, 'sqlite::memory:');
    assert.throws(() => loadConfig({ store: 'sqlite:' }), isConfigError(/needs a file path/));
  });

  void it('refuses a bad crash point with the invalid-configuration error, wherever it is read', () => {
    const message = /^ACCORD_CRASH_POINTS: unknown point "after-lunch"/;
    assert.throws(
      () => loadConfig({}, { ACCORD_CRASH_POINTS: 'after-lunch' }),
      isConfigError(message),
    );
    assert.throws(() => new CrashPoints(['after-lunch']), isConfigError(message));
    assert.throws(() => new CrashPoints(['after-create@0']), isConfigError(/count after @/));
  });

  void it('gives the tx commands a URL and the admin token before the client one', () => {
    assert.deepEqual(loadCliTarget({}), { url: 'http://127.0.0.1:7070', token: null });
    assert.deepEqual(
      loadCliTarget({ ACCORD_URL: 'http://h:1/', ACCORD_TOKEN: 'c', ACCORD_ADMIN_TOKEN: ' a ' }),
      { url: 'http://h:1', token: 'a' },
    );
    assert.throws(() => loadCliTarget({ ACCORD_URL: 'nope' }), isConfigError(/^ACCORD_URL must/));
  });
});
