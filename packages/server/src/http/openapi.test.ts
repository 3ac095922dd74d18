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

describe('the OpenAPI document', () => {
  let server: RunningServer;
  let doc: Document;
  const registered: Array<{ method: string; url: string; hidden: boolean }> = [];
  const dir = tempDir('accord-openapi-');

  before(async () => {
    server = await startServer(
      loadConfig({}, { ACCORD_DATA_DIR: dir.path, ACCORD_PORT: '0', ACCORD_LOG_LEVEL: 'silent' }),
      {
        onRoute: (route) => {
          const hidden = (route as { schema?: { hide?: boolean } }).schema?.hide === true;
          for (const method of [route.method].flat()) {
            registered.push({ method, url: route.url, hidden });
          }
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
    // The DTM-compatible API keeps DTM's own shapes and documentation.
    const hidden = registered.filter((r) => r.hidden);
    assert.deepEqual(
      hidden.filter((r) => !r.url.startsWith('/api/')),
      [],
      'only the DTM-compatible API is left out',
    );
    const routes = registered.filter((r) => r.method !== 'HEAD' && !r.hidden);
    const listed = routes.map((r) => `${r.method} ${openapiPath(r.url)}`);
    assert.deepEqual([...listed].sort(), [...operations].sort());
    assert.ok(routes.length >= 15, `${routes.length} routes`);
    // Fastify adds a HEAD route for each GET; it answers like the GET, without a body.
    for (const head of registered.filter((r) => r.method === 'HEAD' && !r.hidden)) {
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
          statuses.some((s) => s.startsWith('2')),
          `${where}: no success reply`,
        );
        assert.ok(statuses.includes('400') && statuses.includes('500'), where);
        for (const [status, reply] of Object.entries(op.responses)) {
          if (status.startsWith('2')) continue;
          // TCC for REST defines its own 404 and 409 answers: the links and their outcomes.
          if (path.startsWith('/tcc/') && reply['x-error-codes'] === undefined) {
            assert.ok(['404', '409'].includes(status), `${where} ${status}`);
            continue;
          }
          assert.deepEqual(reply.content?.['application/json']?.schema, {
            $ref: '#/components/schemas/Error',
          });
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
      'limit',
      'mode',
      'parked',
      'since',
      'status',
      'until',
    ]);
    assert.deepEqual(query('/v1/ids', 'post'), ['count']);
    for (const path of ['/v1/transactions', '/v1/notifications']) {
      assert.ok(doc.paths[path]?.['post']?.requestBody, path);
    }
  });
});
