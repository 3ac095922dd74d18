import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { tempDir } from '@accord/testkit';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { HTTP_STATUS } from './error-mapping.js';
import { openapiPath } from './openapi.js';

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: unknown;
  responses: Record<
    string,
    { content?: Record<string, { schema: unknown }>; 'x-error-codes'?: string[] }
  >;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

/**
 * The error shape of a status: DTM's own under `/api` (ONGOING for 425, a bare message
 * for 5xx, FAILURE otherwise), the one error shape elsewhere.
 */
function errorShape(path: string, status: number): string {
  if (path === '/api/json-rpc') return 'JsonRpcReply';
  if (!path.startsWith('/api/')) return 'Error';
  return status === 425 ? 'DtmOngoing' : status >= 500 ? 'DtmFault' : 'DtmFailure';
}

/** Routes that never answer 400, and why. */
const NO_400: Readonly<Record<string, string>> = {
  '/api/json-rpc': 'JSON-RPC answers invalid input with 200 and an error member',
};

/** Routes whose success is a redirect, and why. */
const REDIRECTS: Readonly<Record<string, string>> = {
  'GET /': 'the web UI is at /ui/',
  'GET /ui': 'the web UI is at /ui/ (relative asset paths need the slash)',
};

/** Routes that change state yet read no body, and why. */
const NO_BODY: Readonly<Record<string, string>> = {
  'POST /v1/ids': 'the count is in the query string',
  'POST /api/ping': 'any method answers pong',
  'PUT /api/ping': 'any method answers pong',
  'PATCH /api/ping': 'any method answers pong',
  'DELETE /api/ping': 'any method answers pong',
  'DELETE /api/dtmsvr/topic/{name}': 'the path names the topic',
  'DELETE /v1/reconciliations/{id}': 'the path names the job',
  'POST /v1/reconciliations/{id}/run': 'the path names the job; the run takes its definition',
};

describe('the OpenAPI document', () => {
  let server: RunningServer;
  let doc: Document;
  const registered: Array<{ method: string; url: string }> = [];
  const dir = tempDir('accord-openapi-');

  before(async () => {
    server = await startServer(
      loadConfig({}, { ACCORD_DATA_DIR: dir.path, ACCORD_PORT: '0', ACCORD_LOG_LEVEL: 'silent' }),
      {
        onRoute: (route) => {
          for (const method of [route.method].flat()) registered.push({ method, url: route.url });
        },
      },
    );
    const res = await server.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = res.json<Document>();
  });
  after(async () => {
    await server.close();
    dir.remove();
  });

  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as never);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    assert.doesNotThrow(() => validator.resolveRefs());
    // The OpenAPI schema takes any object as a JSON Schema: check them against 2020-12.
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      assert.ok(ajv.validateSchema(schema), `${name}: ${ajv.errorsText(ajv.errors)}`);
    }
  });

  it('lists every route the server registers, and nothing else', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routes = registered.filter((r) => r.method !== 'HEAD');
    const listed = routes.map((r) => `${r.method} ${openapiPath(r.url)}`);
    assert.deepEqual([...listed].sort(), [...operations].sort());
    for (const family of ['/v1/', '/api/dtmsvr/', '/api/ping', '/tcc/coordinator/']) {
      assert.ok(
        listed.some((r) => r.includes(` ${family}`)),
        `${family} is in the document`,
      );
    }
    // Fastify adds a HEAD route for each GET; it answers like the GET, without a body.
    for (const head of registered.filter((r) => r.method === 'HEAD')) {
      assert.ok(listed.includes(`GET ${openapiPath(head.url)}`), head.url);
    }
  });

  it('gives every operation its path parameters, a success reply and its error replies', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(declared, inPath, where);
        const statuses = Object.keys(op.responses);
        assert.ok(
          statuses.some((s) => s.startsWith('2') || (REDIRECTS[where] && s === '302')),
          `${where}: no success reply`,
        );
        assert.ok(statuses.includes('400') || NO_400[path] !== undefined, `${where}: no 400`);
        assert.ok(statuses.includes('500'), `${where}: no 500`);
        for (const [status, reply] of Object.entries(op.responses)) {
          if (status.startsWith('2') || (REDIRECTS[where] && status === '302')) continue;
          // TCC for REST defines its own 404 and 409 answers: the links and their outcomes.
          if (path.startsWith('/tcc/') && reply['x-error-codes'] === undefined) {
            assert.ok(['404', '409'].includes(status), `${where} ${status}`);
            assert.deepEqual(reply.content?.['application/json']?.schema, {
              $ref: '#/components/schemas/TccRestOutcomes',
            });
            continue;
          }
          assert.deepEqual(
            reply.content?.['application/json']?.schema,
            { $ref: `#/components/schemas/${errorShape(path, Number(status))}` },
            `${where} ${status}`,
          );
          const codes = reply['x-error-codes'] ?? [];
          assert.ok(codes.length > 0, `${where} ${status}: no codes`);
          for (const code of codes) {
            assert.equal(HTTP_STATUS[code as keyof typeof HTTP_STATUS], Number(status), code);
          }
        }
      }
    }
  });

  it('documents the query strings and request bodies', () => {
    const query = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.parameters ?? [])
        .filter((p) => p.in === 'query')
        .map((p) => p.name);
    assert.deepEqual(query('/v1/transactions', 'get').sort(), [
      'cursor',
      'gidPrefix',
      'label',
      'limit',
      'mode',
      'parked',
      'paused',
      'since',
      'status',
      'stuck',
      'until',
    ]);
    assert.deepEqual(query('/v1/ids', 'post'), ['count']);
    for (const path of [
      '/v1/transactions',
      '/v1/notifications',
      '/v1/participants/{host}/pause',
      '/v1/participants/{host}/resume',
      '/v1/reconciliations',
    ]) {
      assert.ok(doc.paths[path]?.['post']?.requestBody, path);
    }
    assert.deepEqual(
      Object.keys(doc.paths['/v1/participants/{host}/pause']?.['post']?.responses ?? {}).sort(),
      ['200', '400', '401', '403', '413', '414', '415', '500', '503'],
    );
    assert.ok(doc.paths['/v1/participants']?.['get'], 'GET /v1/participants');
    for (const [path, method] of [
      ['/v1/reconciliations', 'get'],
      ['/v1/reconciliations/{id}', 'get'],
      ['/v1/reconciliations/{id}', 'delete'],
      ['/v1/reconciliations/{id}/run', 'post'],
      ['/v1/reconciliations/{id}/runs', 'get'],
      ['/v1/reconciliations/{id}/runs/{run}', 'get'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
    }
    assert.deepEqual(query('/v1/reconciliations/{id}/runs/{run}', 'get').sort(), [
      'cursor',
      'limit',
    ]);
    assert.deepEqual(query('/api/dtmsvr/query', 'get'), ['gid']);
  });

  it('gives every route that changes state the schema of its body', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['post', 'put', 'patch', 'delete'].includes(method)) continue;
        const where = `${method.toUpperCase()} ${path}`;
        if (NO_BODY[where] !== undefined) {
          assert.equal(op.requestBody, undefined, where);
          continue;
        }
        assert.ok(op.requestBody, `${where}: no request body schema`);
      }
    }
    const tcc = doc.paths['/tcc/coordinator/confirm']?.['put']?.requestBody as {
      content: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(tcc.content), ['application/tcc+json']);
  });
});
