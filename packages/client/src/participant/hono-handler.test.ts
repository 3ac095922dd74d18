import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import {
  accordHeaders,
  callOf,
  handlerConformance,
  post,
  type RunningParticipant,
} from '../../test-support/handler-conformance.js';
import { accordFetchHandler, accordHonoHandler } from './hono-handler.js';
import type { AccordHandlerFn, AccordHandlerOptions } from './process-call.js';
import { signPayload } from '@accord/protocol';

async function listen(app: Hono): Promise<RunningParticipant> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/p`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function honoApp(fn: AccordHandlerFn, options: AccordHandlerOptions): Hono {
  const app = new Hono();
  app.post('/p', accordHonoHandler(fn, options));
  return app;
}

handlerConformance('hono', (fn, options) => listen(honoApp(fn, options)));

handlerConformance('fetch', (fn, options) => {
  const app = new Hono();
  const handler = accordFetchHandler(fn, options);
  app.post('/p', (c) => handler(c.req.raw));
  return listen(app);
});

describe('hono specifics', () => {
  const SECRET = 'hono-secret';
  const echo: AccordHandlerFn = (_ctx, body) => ({ body: body ?? null });

  test('a body a middleware already parsed still verifies, from the cached bytes', async () => {
    const app = new Hono();
    app.use('/p', async (c, next) => {
      await c.req.arrayBuffer();
      await next();
    });
    app.post('/p', accordHonoHandler(echo, { secret: SECRET }));
    const server = await listen(app);
    try {
      const body = '{"a":1}';
      const res = await post(
        server.url,
        accordHeaders('cancel', {
          'accord-signature': signPayload(SECRET, callOf('cancel'), body),
        }),
        body,
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { body: { a: 1 } });
    } finally {
      await server.close();
    }
  });

  test('a body past maxBodyBytes is 413 and never reaches the business function', async () => {
    let called = false;
    const app = honoApp(
      () => {
        called = true;
      },
      { maxBodyBytes: 16 },
    );
    const server = await listen(app);
    try {
      const res = await post(server.url, accordHeaders(), JSON.stringify({ pad: 'x'.repeat(64) }));
      assert.equal(res.status, 413);
      assert.equal(called, false);
    } finally {
      await server.close();
    }
  });
});
