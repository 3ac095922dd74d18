import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import {
  accordHeaders,
  callOf,
  handlerConformance,
  post,
  type RunningParticipant,
} from '../../test-support/handler-conformance.js';
import { accordHandler, type NodeRequestLike } from './node-handler.js';
import type { AccordHandlerFn, AccordHandlerOptions } from './process-call.js';
import { signPayload } from '@accord/protocol';

type Middleware = (req: NodeRequestLike, res: ServerResponse) => void;

async function listen(handler: Middleware): Promise<RunningParticipant> {
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/p`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

handlerConformance('node:http', (fn, options) => listen(accordHandler(fn, options)));

/** Reads the body first, like an Express body parser would, then hands over. */
function parsedFirst(
  kind: 'json' | 'raw' | 'text' | 'json+rawBody',
  handler: Middleware,
): Middleware {
  return (req: IncomingMessage & { body?: unknown; rawBody?: unknown }, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (kind === 'raw') req.body = raw;
      else if (kind === 'text') req.body = raw.toString('utf8');
      else req.body = raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : {};
      if (kind === 'json+rawBody') req.rawBody = raw;
      handler(req, res);
    });
  };
}

describe('node:http handler behind Express-style body parsers', () => {
  const SECRET = 'express-secret';
  const echo: AccordHandlerFn = (_ctx, body) => ({ body: body ?? null });
  const body = '{"amount":3}';
  const signedHeaders = () =>
    accordHeaders('cancel', { 'accord-signature': signPayload(SECRET, callOf('cancel'), body) });

  async function withServer(
    kind: Parameters<typeof parsedFirst>[0],
    options: AccordHandlerOptions,
    run: (url: string) => Promise<void>,
  ): Promise<void> {
    const server = await listen(parsedFirst(kind, accordHandler(echo, options)));
    try {
      await run(server.url);
    } finally {
      await server.close();
    }
  }

  test('uses an already-parsed req.body', async () => {
    await withServer('json', {}, async (url) => {
      const res = await post(url, accordHeaders(), body);
      assert.deepEqual(res.json, { body: { amount: 3 } });
    });
  });

  test('verifies signatures over express.raw / express.text / req.rawBody bodies', async () => {
    for (const kind of ['raw', 'text', 'json+rawBody'] as const) {
      await withServer(kind, { secret: SECRET }, async (url) => {
        const res = await post(url, signedHeaders(), body);
        assert.equal(res.status, 200, kind);
        assert.deepEqual(res.json, { body: { amount: 3 } });
      });
    }
  });

  test('a secret with the raw body gone is a 500 that says what to do', async () => {
    await withServer('json', { secret: SECRET }, async (url) => {
      const res = await post(url, signedHeaders(), body);
      assert.equal(res.status, 500);
      assert.match(res.text, /express\.raw/);
    });
  });

  test('a body-less call is fine even though express.json set req.body = {}', async () => {
    await withServer('json', { secret: SECRET }, async (url) => {
      const res = await post(
        url,
        accordHeaders('check', {
          'accord-mode': 'msg',
          'accord-signature': signPayload(SECRET, callOf('check', 'msg'), ''),
        }),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { body: null });
    });
  });

  test('a body over maxBodyBytes is 413', async () => {
    const server = await listen(accordHandler(echo, { maxBodyBytes: 10 }));
    try {
      const res = await post(server.url, accordHeaders(), JSON.stringify({ big: 'x'.repeat(100) }));
      assert.equal(res.status, 413);
    } finally {
      await server.close();
    }
  });
});
