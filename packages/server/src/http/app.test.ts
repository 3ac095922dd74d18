import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import type { RunningServer } from '../server.js';
import { startServer } from '../server.js';

const CLIENT = 'client-token-0123456789';
const ADMIN = 'admin-token-0123456789';

interface ErrorReply {
  error: {
    code: string;
    message: string;
    details?: { issues?: Array<{ path: string; message: string }> };
  };
}

describe('native API input handling', () => {
  let server: RunningServer;
  const dir = tempDir('accord-app-');
  const auth = { authorization: `Bearer ${CLIENT}` };

  before(async () => {
    server = await startServer(
      loadConfig(
        {},
        {
          ACCORD_DATA_DIR: dir.path,
          ACCORD_PORT: '0',
          ACCORD_LOG_LEVEL: 'silent',
          ACCORD_TOKEN: CLIENT,
          ACCORD_ADMIN_TOKEN: ADMIN,
          ACCORD_BODY_LIMIT: '65536',
          ACCORD_MAX_STEPS: '5',
        },
      ),
    );
  });
  after(async () => {
    await server.close();
    dir.remove();
  });

  async function post(url: string, body: unknown, headers: Record<string, string> = auth) {
    const res = await server.app.inject({ method: 'POST', url, payload: body as object, headers });
    return { status: res.statusCode, json: res.json<ErrorReply & Record<string, unknown>>() };
  }

  async function storedCount(): Promise<number> {
    return (await server.store.list({ limit: 500 })).items.length;
  }

  const invalid: Array<[string, unknown, RegExp]> = [
    ['missing mode', { steps: [{ action: 'http://127.0.0.1:1/a' }] }, /^\/mode: is required$/],
    ['unknown mode', { mode: 'xyz', steps: [] }, /^\/mode: must be equal to one of/],
    ['wrong type of steps', { mode: 'saga', steps: 'nope' }, /^\/steps: must be array$/],
    [
      'action of wrong type',
      { mode: 'saga', steps: [{ action: 42 }] },
      /^\/steps\/0\/action: must be string$/,
    ],
    [
      'missing action',
      { mode: 'saga', steps: [{ compensate: 'http://127.0.0.1:1/c' }] },
      /^\/steps\/0\/action: is required$/,
    ],
    [
      'unknown field',
      { mode: 'saga', steps: [{ action: 'http://127.0.0.1:1/a' }], extra: 1 },
      /^\/extra: is not a known field$/,
    ],
    [
      'relative URL',
      { mode: 'saga', steps: [{ action: '/local' }] },
      /^\/steps\/0\/action: must be an absolute http\(s\) URL$/,
    ],
    [
      'ftp URL',
      { mode: 'saga', steps: [{ action: 'ftp://127.0.0.1/a' }] },
      /^\/steps\/0\/action: must use http, https, grpc or grpcs$/,
    ],
    [
      'metadata address',
      { mode: 'saga', steps: [{ action: 'http://169.254.169.254/latest' }] },
      /denied by the outbound policy/,
    ],
    ['no steps', { mode: 'saga', steps: [] }, /^\/steps: a saga needs at least one step$/],
    [
      'too many steps',
      { mode: 'saga', steps: Array(6).fill({ action: 'http://127.0.0.1:1/a' }) },
      /^\/steps: must NOT have more than 5 items$/,
    ],
    [
      'msg without checkUrl',
      { mode: 'msg', steps: [{ action: 'http://127.0.0.1:1/a' }] },
      /^\/checkUrl: is required for msg$/,
    ],
    [
      'tcc with steps',
      { mode: 'tcc', steps: [{ action: 'http://127.0.0.1:1/a' }] },
      /^\/steps: tcc transactions register branches/,
    ],
    [
      'xa with steps',
      { mode: 'xa', steps: [{ action: 'http://127.0.0.1:1/a' }] },
      /^\/steps: xa transactions register branches/,
    ],
    [
      'notify through the transactions route',
      { mode: 'notify', steps: [{ action: 'http://127.0.0.1:1/a' }] },
      /^\/mode: notifications are created with POST \/v1\/notifications$/,
    ],
    [
      'broker target in a saga',
      { mode: 'saga', steps: [{ action: 'broker://events/orders/created' }] },
      /^\/steps\/0\/action: broker targets are only used by msg steps and notifications$/,
    ],
    [
      'broker target without brokers',
      {
        mode: 'msg',
        checkUrl: 'http://127.0.0.1:1/check',
        steps: [{ action: 'broker://events/orders/created' }],
      },
      /^\/steps\/0\/action: names a broker, but none is configured/,
    ],
    [
      'bad gid',
      { gid: 'a b', mode: 'saga', steps: [{ action: 'http://127.0.0.1:1/a' }] },
      /^\/gid: must match pattern/,
    ],
    [
      'unknown dependency',
      { mode: 'saga', steps: [{ id: 'a', action: 'http://127.0.0.1:1/a', dependsOn: ['zz'] }] },
      /^\/steps\/0\/dependsOn\/0: unknown step id "zz"$/,
    ],
    [
      'reserved header',
      {
        mode: 'saga',
        steps: [{ action: 'http://127.0.0.1:1/a' }],
        options: { headers: { 'Accord-Gid': 'x' } },
      },
      /^\/options\/headers\/Accord-Gid: is reserved/,
    ],
    [
      'header value the branch call could not send',
      {
        mode: 'saga',
        steps: [{ action: 'http://127.0.0.1:1/a' }],
        options: { headers: { 'x-region': '日本' } },
      },
      /^\/options\/headers\/x-region: must not contain .*past U\+00FF$/,
    ],
    [
      'header value with a control character',
      {
        mode: 'saga',
        steps: [{ action: 'http://127.0.0.1:1/a' }],
        options: { headers: { 'x-region': 'a\u0001b' } },
      },
      /^\/options\/headers\/x-region: must not contain line breaks, control characters/,
    ],
    [
      'negative timeout',
      {
        mode: 'saga',
        steps: [{ action: 'http://127.0.0.1:1/a' }],
        options: { requestTimeoutMs: -1 },
      },
      /^\/options\/requestTimeoutMs: must be >= 1$/,
    ],
  ];

  for (const [name, body, expected] of invalid) {
    it(`rejects ${name} with a 400 naming the field, storing nothing`, async () => {
      const before = await storedCount();
      const { status, json } = await post('/v1/transactions', body);
      assert.equal(status, 400, JSON.stringify(json));
      assert.equal(json.error.code, 'INVALID_REQUEST');
      const issues = json.error.details?.issues ?? [];
      assert.ok(
        issues.some((i) => expected.test(`${i.path}: ${i.message}`)),
        `expected an issue matching ${String(expected)}, got ${JSON.stringify(issues)}`,
      );
      assert.equal(await storedCount(), before);
    });
  }

  it('answers a malformed JSON body with 400', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"mode": "saga", ',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<ErrorReply>().error.code, 'INVALID_REQUEST');
  });

  it('answers a huge body with 413 and stores nothing', async () => {
    const before = await storedCount();
    const big = {
      mode: 'saga',
      steps: [{ action: 'http://127.0.0.1:1/a', payload: 'x'.repeat(70_000) }],
    };
    const { status, json } = await post('/v1/transactions', big);
    assert.equal(status, 413);
    assert.equal(json.error.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(await storedCount(), before);
  });

  it('requires a token, and the admin token for operator actions', async () => {
    const body = { mode: 'tcc' };
    assert.equal((await post('/v1/transactions', body, {})).status, 401);
    assert.equal(
      (await post('/v1/transactions', body, { authorization: 'Bearer wrong-token-000000' })).status,
      401,
    );
    const created = await post('/v1/transactions', { gid: 'auth-1', mode: 'tcc' });
    assert.equal(created.status, 201);
    const retryAsClient = await post('/v1/transactions/auth-1/retry', {});
    assert.equal(retryAsClient.status, 403);
    assert.equal(retryAsClient.json.error.code, 'FORBIDDEN');
    const retryAsAdmin = await post(
      '/v1/transactions/auth-1/retry',
      {},
      { authorization: `Bearer ${ADMIN}` },
    );
    assert.equal(retryAsAdmin.status, 200);
    const get = await server.app.inject({ method: 'GET', url: '/v1/transactions/auth-1' });
    assert.equal(get.statusCode, 401);
  });

  it('creates idempotently and refuses a different body under the same gid', async () => {
    const body = { gid: 'same-gid', mode: 'tcc', options: { timeoutMs: 60_000 } };
    assert.equal((await post('/v1/transactions', body)).status, 201);
    assert.equal((await post('/v1/transactions', body)).status, 200);
    const conflict = await post('/v1/transactions', { ...body, options: { timeoutMs: 1_000 } });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.json.error.code, 'GID_CONFLICT');
  });

  it('answers unknown transactions and routes with 404 codes', async () => {
    const res = await server.app.inject({
      method: 'GET',
      url: '/v1/transactions/nope',
      headers: auth,
    });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<ErrorReply>().error.code, 'TRANSACTION_NOT_FOUND');
    const route = await server.app.inject({ method: 'GET', url: '/v2/whatever', headers: auth });
    assert.equal(route.json<ErrorReply>().error.code, 'NOT_FOUND');
  });

  it('validates list filters', async () => {
    const res = await server.app.inject({
      method: 'GET',
      url: '/v1/transactions?status=weird&limit=0',
      headers: auth,
    });
    assert.equal(res.statusCode, 400);
    const paths = (res.json<ErrorReply>().error.details?.issues ?? []).map((i) => i.path);
    assert.deepEqual(paths.sort(), ['(querystring)/limit', '(querystring)/status']);
  });

  it('requires a reason to resolve', async () => {
    await post('/v1/transactions', { gid: 'to-resolve', mode: 'tcc' });
    const admin = { authorization: `Bearer ${ADMIN}` };
    const missing = await post('/v1/transactions/to-resolve/resolve', { status: 'failed' }, admin);
    assert.equal(missing.status, 400);
    const blank = await post(
      '/v1/transactions/to-resolve/resolve',
      { status: 'failed', reason: '   ' },
      admin,
    );
    assert.equal(blank.status, 400);
    const ok = await post(
      '/v1/transactions/to-resolve/resolve',
      { status: 'failed', reason: 'refunded' },
      admin,
    );
    assert.equal(ok.status, 200);
  });

  it('registers xa branches by commit and rollback, and refuses the other pair or a mix', async () => {
    await post('/v1/transactions', { gid: 'xa-reg', mode: 'xa' });
    await post('/v1/transactions', { gid: 'tcc-reg', mode: 'tcc' });
    const xa = { branchId: 'b1', commit: 'http://127.0.0.1:1/c', rollback: 'http://127.0.0.1:1/r' };
    const ok = await post('/v1/transactions/xa-reg/branches', xa);
    assert.equal(ok.status, 200);
    const branches = (ok.json['transaction'] as { branches: Array<{ op: string }> }).branches;
    assert.deepEqual(branches.map((b) => b.op).sort(), ['commit', 'rollback']);
    const onTcc = await post('/v1/transactions/tcc-reg/branches', xa);
    assert.equal(onTcc.status, 400);
    assert.match(onTcc.json.error.message, /^\/commit: is not an op of tcc branches/);
    const mixed = await post('/v1/transactions/xa-reg/branches', {
      ...xa,
      branchId: 'b2',
      confirm: 'http://127.0.0.1:1/x',
    });
    assert.equal(mixed.status, 400);
    const half = await post('/v1/transactions/xa-reg/branches', {
      branchId: 'b3',
      commit: 'http://127.0.0.1:1/c',
    });
    assert.equal(half.status, 400);
    assert.match(half.json.error.message, /^\/rollback: is required$/);
  });

  it('validates notifications field by field and answers their query', async () => {
    const bad: Array<[unknown, RegExp]> = [
      [{}, /^\/url: is required$/],
      [{ url: 'http://127.0.0.1:1/n', schedule: 'hourly' }, /^\/schedule: /],
      [{ url: 'http://127.0.0.1:1/n', schedule: [0] }, /^\/schedule\/0: must be >= 1$/],
      [{ url: 'http://169.254.169.254/' }, /^\/url: .*denied by the outbound policy/],
      [{ url: 'http://127.0.0.1:1/n', ackBody: '' }, /^\/ackBody: /],
      [{ url: 'http://127.0.0.1:1/n', headers: { 'Accord-Op': 'x' } }, /^\/headers\/Accord-Op/],
    ];
    for (const [body, expected] of bad) {
      const { status, json } = await post('/v1/notifications', body);
      assert.equal(status, 400, JSON.stringify(body));
      const issues = json.error.details?.issues ?? [];
      assert.ok(
        issues.some((i) => expected.test(`${i.path}: ${i.message}`)),
        `${JSON.stringify(body)}: expected ${String(expected)}, got ${JSON.stringify(issues)}`,
      );
    }
    const body = {
      id: 'n-1',
      url: 'http://127.0.0.1:1/n',
      payload: { paid: true },
      ackBody: 'success',
    };
    const created = await post('/v1/notifications', body);
    assert.equal(created.status, 201);
    const view = created.json['notification'] as Record<string, unknown>;
    assert.equal(view['id'], 'n-1');
    assert.equal(view['status'], 'pending');
    assert.deepEqual(view['payload'], { paid: true });
    assert.equal((view['schedule'] as number[]).length, 8, 'the default schedule');
    assert.equal((await post('/v1/notifications', body)).status, 200, 'idempotent by id');
    const conflict = await post('/v1/notifications', { ...body, schedule: 'wechat' });
    assert.equal(conflict.status, 409);
    const query = await server.app.inject({ url: '/v1/notifications/n-1', headers: auth });
    assert.equal(query.statusCode, 200);
    assert.equal(query.json<{ notification: { id: string } }>().notification.id, 'n-1');
    await post('/v1/transactions', { gid: 'not-a-notification', mode: 'tcc' });
    const other = await server.app.inject({
      url: '/v1/notifications/not-a-notification',
      headers: auth,
    });
    assert.equal(other.statusCode, 404);
  });

  it('issues ordered unique ids', async () => {
    const { status, json } = await post('/v1/ids?count=100', undefined);
    assert.equal(status, 200);
    const ids = (json['ids'] as string[]).map(BigInt);
    assert.equal(new Set(ids).size, 100);
    assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!));
    assert.equal((await post('/v1/ids?count=5000', undefined)).status, 400);
  });

  it('refuses numbers in a query string that are not finite, instead of looping on them', async () => {
    for (const url of ['/v1/ids?count=1e400', '/v1/ids?count=-1e400']) {
      const { status, json } = await post(url, undefined);
      assert.equal(status, 400, url);
      assert.deepEqual(json.error.details?.issues, [
        { path: '(querystring)/count', message: 'must be a finite number' },
      ]);
    }
    const list = await server.app.inject({ url: '/v1/transactions?limit=1e400', headers: auth });
    assert.equal(list.statusCode, 400);
  });

  it('serves health, readiness, metrics and the OpenAPI document without auth', async () => {
    assert.equal((await server.app.inject({ url: '/healthz' })).statusCode, 200);
    assert.equal((await server.app.inject({ url: '/readyz' })).statusCode, 200);
    const metrics = await server.app.inject({ url: '/metrics' });
    assert.match(metrics.body, /accord_transactions_total/);
    // The process family carries the accord prefix once.
    assert.match(metrics.body, /^accord_process_cpu_seconds_total \d/m);
    assert.match(metrics.body, /^accord_nodejs_eventloop_lag_seconds \d/m);
    assert.doesNotMatch(metrics.body, /accord_process_process_|accord_process_nodejs_/);
    // The process metrics are added on the first scrape; later scrapes keep one copy.
    const again = await server.app.inject({ url: '/metrics' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.body.match(/^# TYPE accord_process_cpu_seconds_total /gm)?.length, 1);
    const openapi = await server.app.inject({ url: '/openapi.json' });
    const doc = openapi.json<{ openapi: string; paths: Record<string, unknown> }>();
    // API requests are counted by route template, never by raw URL.
    await server.app.inject({ url: '/v1/transactions/no-such-gid-1', headers: auth });
    await server.app.inject({ url: '/v1/transactions/no-such-gid-2', headers: auth });
    await server.app.inject({ url: '/no/such/route/at/all' });
    const after = (await server.app.inject({ url: '/metrics' })).body;
    assert.match(
      after,
      /^accord_api_requests_total\{method="GET",route="\/v1\/transactions\/:gid",status="404"\} \d+$/m,
    );
    assert.match(
      after,
      /^accord_api_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m,
    );
    assert.match(
      after,
      /^accord_api_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/healthz",status="200"\} \d+$/m,
    );
    assert.doesNotMatch(after, /no-such-gid|no\/such\/route/);
    assert.match(after, /^# TYPE accord_transaction_duration_seconds histogram$/m);
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/v1/transactions']);
  });
});
