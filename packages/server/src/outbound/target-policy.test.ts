import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { tempDir } from '@accord/testkit';
import { DEFAULT_DENIED_TARGETS, loadConfig } from '../config/config.js';
import { startServer } from '../server.js';
import { canonicalHost, embeddedIpv4, ipFamily, parseTargetEntry } from './target-entries.js';
import { TargetPolicy, type PendingHost } from './target-policy.js';

const defaults = new TargetPolicy({ allowed: [], denied: DEFAULT_DENIED_TARGETS });

/** Runs the policy's `lookup` the way the HTTP client does and returns what it chose. */
function lookupVia(policy: TargetPolicy, host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    policy.lookup(host, { all: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses as LookupAddress[]);
    });
  });
}

describe('outbound policy: names and addresses', () => {
  it('tells address families apart as net.isIP does', () => {
    const samples = ['::1', 'fe80::', 'fe80::1%eth0', '::ffff:1.2.3.4', '64:ff9b::a9fe:a9fe'];
    samples.push('1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', 'zz::1', ':::');
    samples.push('::1:2:3:4:5:6:7:8', 'fe80::/10', 'localhost', 'example.com', '', '[::1]');
    for (const sample of samples) assert.equal(ipFamily(sample), isIP(sample), sample);
  });

  it('compares host names in one form: case, trailing dots and IDNA', () => {
    assert.equal(canonicalHost('Metadata.Google.Internal.'), 'metadata.google.internal');
    assert.equal(canonicalHost('internal.example..'), 'internal.example');
    assert.equal(canonicalHost('BÜCHER.example'), 'xn--bcher-kva.example');
    assert.equal(canonicalHost('[::1]'), '::1');
  });

  it('finds the IPv4 address in every IPv6 form that carries one', () => {
    const metadata = '169.254.169.254';
    for (const form of [
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '::169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::169.254.169.254',
      '2002:a9fe:a9fe::1',
      '2001:0:4136:e378:8000:63bf:5601:5601',
    ]) {
      assert.equal(embeddedIpv4(form), metadata, form);
    }
    assert.equal(embeddedIpv4('::1'), null);
    assert.equal(embeddedIpv4('2001:db8::1'), null);
    assert.equal(embeddedIpv4('10.0.0.1'), null);
  });

  it('parses list entries and says what is wrong with a bad one', () => {
    assert.deepEqual(parseTargetEntry(' 10.0.0.0/8 '), {
      kind: 'block',
      address: '10.0.0.0',
      prefix: 8,
      type: 'ipv4',
    });
    assert.deepEqual(parseTargetEntry('Svc.Internal.'), { kind: 'host', host: 'svc.internal' });
    assert.throws(() => parseTargetEntry('10.0.0.0/99'), /prefix length .* from 0 to 32/);
    assert.throws(() => parseTargetEntry('fe80::/129'), /from 0 to 128/);
    assert.throws(() => parseTargetEntry('300.1.1.1'), /not a valid IPv4 address/);
    assert.throws(() => parseTargetEntry('svc/8'), /needs an IP address/);
    assert.throws(() => parseTargetEntry('bad host!'), /neither a host name/);
  });
});

describe('outbound policy: decisions', () => {
  it('denies a denied name however it is spelled', () => {
    for (const url of [
      'http://metadata.google.internal./',
      'http://METADATA.google.internal/',
      'http://metadata.google.internal../x',
    ]) {
      assert.match(defaults.checkUrl(url) ?? '', /denied/, url);
    }
    const custom = new TargetPolicy({ allowed: [], denied: ['internal.example'] });
    assert.match(custom.checkUrl('http://internal.example./') ?? '', /denied/);
    assert.match(custom.checkUrl('http://Internal.Example/') ?? '', /denied/);
  });

  it('denies a denied IPv4 address in every IPv6 embedding', () => {
    for (const host of [
      '[::ffff:169.254.169.254]',
      '[64:ff9b::a9fe:a9fe]',
      '[2002:a9fe:a9fe::]',
      '[::169.254.169.254]',
    ]) {
      assert.match(defaults.checkUrl(`http://${host}/`) ?? '', /denied/, host);
    }
    assert.match(defaults.checkAddress('64:ff9b::a9fe:a9fe') ?? '', /denied/);
    assert.equal(defaults.checkUrl('http://[::1]:8080/'), null);
  });

  it('lets a host named in the allow list through at connect time', async () => {
    const byName = new TargetPolicy({ allowed: ['localhost'], denied: DEFAULT_DENIED_TARGETS });
    assert.equal(byName.checkUrl('http://localhost:1/'), null);
    const chosen = await lookupVia(byName, 'localhost');
    assert.ok(chosen.length > 0, 'localhost resolved to an allowed address');
    assert.match(byName.checkUrl('http://127.0.0.1/') ?? '', /allow-list/);
    await assert.rejects(lookupVia(byName, 'localhost.localdomain.invalid'), () => true);
  });

  it('resolves host names at create time when the allow list has address blocks', async () => {
    const table: Record<string, string[]> = {
      'inside.example': ['10.1.2.3'],
      'outside.example': ['192.0.2.7'],
      'mixed.example': ['192.0.2.8', '10.9.9.9'],
      'meta.example': ['169.254.169.254'],
    };
    const policy = new TargetPolicy({
      allowed: ['10.0.0.0/8', '169.254.0.0/16'],
      denied: DEFAULT_DENIED_TARGETS,
      resolve: async (host) => {
        const found = table[host];
        if (!found) throw new Error('ENOTFOUND');
        return found;
      },
    });
    const pending: PendingHost[] = [];
    for (const [i, host] of Object.keys(table).concat('nowhere.example').entries()) {
      assert.equal(
        policy.checkUrl(`http://${host}/`, { path: `/steps/${i}`, list: pending }),
        null,
      );
    }
    assert.deepEqual(await policy.checkPending(pending), [
      {
        path: '/steps/1',
        message: 'no address of outside.example is allowed by the outbound policy',
      },
      { path: '/steps/3', message: 'no address of meta.example is allowed by the outbound policy' },
      { path: '/steps/4', message: 'host nowhere.example does not resolve' },
    ]);
    const hostsOnly = new TargetPolicy({ allowed: ['svc.internal'], denied: [] });
    assert.match(
      hostsOnly.checkUrl('http://other.internal/') ?? '',
      /not in the outbound allow-list/,
    );
  });
});

describe('outbound policy: settings', () => {
  it('names the setting and the entry when a list is invalid', () => {
    assert.throws(() => loadConfig({}, { ACCORD_DENIED_TARGETS: '10.0.0.0/99' }), {
      name: 'ConfigError',
      message: /^ACCORD_DENIED_TARGETS: "10.0.0.0\/99": the prefix length/,
    });
    assert.throws(() => loadConfig({}, { ACCORD_ALLOWED_TARGETS: 'svc.internal, 300.1.1.1' }), {
      name: 'ConfigError',
      message: /^ACCORD_ALLOWED_TARGETS: "300.1.1.1" is not a valid IPv4 address/,
    });
    const ok = loadConfig({}, { ACCORD_ALLOWED_TARGETS: '10.0.0.0/8,svc.internal.' });
    assert.deepEqual(ok.allowedTargets, ['10.0.0.0/8', 'svc.internal.']);
  });
});

describe('outbound policy: at the API', () => {
  it('answers 400 at create for a host name none of whose addresses a CIDR allow list admits', async () => {
    const dir = tempDir('accord-policy-');
    const server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_ALLOWED_TARGETS: '10.0.0.0/8',
        },
      ),
    );
    try {
      const create = (action: string) =>
        server.app.inject({
          method: 'POST',
          url: '/v1/transactions',
          payload: { mode: 'saga', steps: [{ action }] },
        });
      const refused = await create('http://localhost:9/a');
      assert.equal(refused.statusCode, 400);
      assert.match(
        refused.body,
        /\/steps\/0\/action: no address of localhost is allowed by the outbound policy/,
      );
      const listed = await create('http://10.0.0.1:9/a');
      assert.equal(listed.statusCode, 201);
      assert.equal((await server.store.list({ limit: 10 })).items.length, 1);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
