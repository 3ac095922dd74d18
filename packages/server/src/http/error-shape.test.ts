import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request as httpRequest } from 'node:http';
import { tempDir } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { nestsDeeperThan, objectWithTooManyKeys } from './json-body.js';

interface Reply {
  status: number;
  body: unknown;
}

/** The documented error shape: `{ error: { code, message, details? } }` and nothing else. */
function assertErrorShape(reply: Reply, status: number, code: string, message?: RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  const body = reply.body as { error?: { code?: unknown; message?: unknown } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error?.code, code);
  assert.equal(typeof body.error?.message, 'string');
  if (message) assert.match(String(body.error?.message), message);
}

describe('JSON body limits', () => {
  it('measures nesting in one pass, ignoring brackets inside strings', () => {
    assert.equal(nestsDeeperThan('[[1]]', 2), false);
    assert.equal(nestsDeeperThan('[[[1]]]', 2), true);
    assert.equal(nestsDeeperThan('{"a":"[[[[[[\\"[[["}', 1), false);
    assert.equal(nestsDeeperThan('{"a":{"b":[]}}', 2), true);
  });

  it('finds an object with too many keys without recursion', () => {
    const wide = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, i]));
    assert.equal(objectWithTooManyKeys({ a: [{ b: wide }] }, 4), '/a/0/b');
    assert.equal(objectWithTooManyKeys({ a: [{ b: wide }] }, 5), null);
    assert.equal(objectWithTooManyKeys(wide, 4), '/');
  });
});

describe('one error shape for everything the server answers', () => {
  let server: RunningServer;
  const dir = tempDir('accord-shape-');

  before(async () => {
    server = await startServer(
      loadConfig({}, { ACCORD_DATA_DIR: dir.path, ACCORD_PORT: '0', ACCORD_LOG_LEVEL: 'silent' }),
    );
  });
  after(async () => {
    await server.close();
    dir.remove();
  });

  async function inject(
    method: 'GET' | 'POST',
    url: string,
    payload?: string,
    contentType = 'application/json',
  ): Promise<Reply> {
    const res = await server.app.inject({
      method,
      url,
      ...(payload !== undefined && { payload, headers: { 'content-type': contentType } }),
    });
    return { status: res.statusCode, body: res.json() };
  }

  const stored = async () => (await server.store.list({ limit: 500 })).items.length;

  it('answers routing, parsing and encoding errors in the Accord shape', async () => {
    assertErrorShape(await inject('GET', '/v1/transactions/%ff'), 400, 'INVALID_REQUEST', /path/);
    assertErrorShape(
      await inject('GET', `/v1/transactions/${'g'.repeat(300)}`),
      414,
      'URI_TOO_LONG',
    );
    const notFound = await inject('GET', '/v2/nothing?access_token=s3cret-value');
    assertErrorShape(notFound, 404, 'NOT_FOUND', /^no route GET \/v2\/nothing$/);
    assert.doesNotMatch(JSON.stringify(notFound.body), /s3cret/);
    assertErrorShape(
      await inject('POST', '/v1/transactions', '{"mode":', 'application/json'),
      400,
      'INVALID_REQUEST',
      /not valid JSON/,
    );
    assertErrorShape(
      await inject('POST', '/v1/transactions', 'mode=saga', 'text/plain'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assert.equal(await stored(), 0);
  });

  it('refuses deep nesting and crowded objects with a 400 naming the limit, storing nothing', async () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const create = (payload: string) =>
      `{"mode":"saga","steps":[{"action":"http://127.0.0.1:1/a","payload":${payload}}]}`;
    assertErrorShape(
      await inject('POST', '/v1/transactions', create(deep)),
      400,
      'INVALID_REQUEST',
      /deeper than the limit of 64 levels/,
    );
    const gid = 'shape-branch';
    const made = await inject('POST', '/v1/transactions', JSON.stringify({ gid, mode: 'tcc' }));
    assert.equal(made.status, 201);
    assertErrorShape(
      await inject(
        'POST',
        `/v1/transactions/${gid}/branches`,
        `{"branchId":"01","confirm":"http://127.0.0.1:1/c","cancel":"http://127.0.0.1:1/x","payload":${deep}}`,
      ),
      400,
      'INVALID_REQUEST',
      /deeper than the limit/,
    );
    const crowded = JSON.stringify(
      Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])),
    );
    assertErrorShape(
      await inject('POST', '/v1/transactions', create(crowded)),
      400,
      'INVALID_REQUEST',
      /object at \/steps\/0\/payload has more keys than the limit of 1000/,
    );
    assert.equal(await stored(), 1, 'only the tcc that was created');
  });

  it('takes submit and abort without a body, as documented', async () => {
    for (const action of ['submit', 'abort'] as const) {
      const gid = `shape-${action}`;
      await inject('POST', '/v1/transactions', JSON.stringify({ gid, mode: 'tcc' }));
      const res = await server.app.inject({
        method: 'POST',
        url: `/v1/transactions/${gid}/${action}`,
      });
      assert.equal(res.statusCode, 200, res.body);
    }
  });

  it('answers oversized headers with 431 in the Accord shape', async () => {
    const address = server.app.server.address();
    assert.ok(address && typeof address === 'object');
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: address.port,
          path: '/healthz',
          headers: { 'x-padding': 'p'.repeat(40_000) },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assertErrorShape(reply, 431, 'HEADERS_TOO_LARGE');
  });
});
