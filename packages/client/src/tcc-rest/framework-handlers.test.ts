/**
 * The TCC-for-REST link handlers in the real frameworks, called as the coordinator calls
 * them: `PUT` (confirm) and `DELETE` (cancel) with `application/tcc` and no body.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { request } from 'undici';
import {
  tccRestExpressHandler,
  tccRestFastifyHandler,
  tccRestFastifyParser,
  tccRestHonoHandler,
} from './framework-handlers.js';
import { TCC_MEDIA_TYPE } from './node-handler.js';
import { Reservations } from './reservations.js';

interface Running {
  readonly base: string;
  close(): Promise<void>;
}

async function listening(server: Server): Promise<Running> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/reservations`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const FRAMEWORKS: Record<string, (seats: Reservations<string>) => Promise<Running>> = {
  express: async (seats) => {
    const app = express();
    app.use(express.json());
    app.all('/reservations/:id', tccRestExpressHandler(seats));
    return listening(app.listen(0, '127.0.0.1'));
  },
  fastify: async (seats) => {
    const app = Fastify();
    tccRestFastifyParser(app);
    app.route({
      method: ['GET', 'PUT', 'DELETE'],
      url: '/reservations/:id',
      handler: tccRestFastifyHandler(seats),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return listening(app.server);
  },
  hono: async (seats) => {
    const app = new Hono();
    app.on(['GET', 'PUT', 'DELETE'], '/reservations/:id', tccRestHonoHandler(seats));
    return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
  },
};

/** A call as the coordinator makes it. */
async function call(url: string, method: 'PUT' | 'DELETE' | 'GET') {
  const res = await request(url, {
    method,
    headers: { accept: TCC_MEDIA_TYPE, 'content-type': TCC_MEDIA_TYPE },
  });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

for (const [name, start] of Object.entries(FRAMEWORKS)) {
  describe(`TCC for REST links in ${name}`, () => {
    it('confirms, cancels, shows, and answers 404 once a reservation expired', async () => {
      let now = 1_000;
      const seats = new Reservations<string>({ now: () => now });
      const running = await start(seats);
      try {
        const a = await seats.reserve('12A', 60_000, 'a');
        const b = await seats.reserve('12B', 60_000, 'b');
        const c = await seats.reserve('12C', 500, 'c');
        assert.equal((await call(`${running.base}/${a.id}`, 'PUT')).status, 204);
        assert.equal((await call(`${running.base}/${a.id}`, 'PUT')).status, 204, 'idempotent');
        assert.equal((await call(`${running.base}/${a.id}`, 'DELETE')).status, 409);
        const shown = await call(`${running.base}/${a.id}`, 'GET');
        assert.equal(shown.status, 200);
        assert.equal((JSON.parse(shown.text) as { state: string }).state, 'confirmed');
        assert.equal((await call(`${running.base}/${b.id}`, 'DELETE')).status, 204);
        assert.equal((await call(`${running.base}/${b.id}`, 'PUT')).status, 404);
        assert.equal((await call(`${running.base}/${b.id}`, 'GET')).status, 404);
        now += 500;
        assert.equal((await call(`${running.base}/${c.id}`, 'PUT')).status, 404, 'expired');
        assert.equal((await call(`${running.base}/unknown`, 'DELETE')).status, 404);
        assert.equal((await seats.store.get(c.id))?.state, 'cancelled');
      } finally {
        await running.close();
      }
    });
  });
}
