import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import {
  accordHeaders,
  callOf,
  handlerConformance,
  post,
  type RunningParticipant,
} from '../../test-support/handler-conformance.js';
import { accordFastifyBodyParser, accordFastifyHandler } from './fastify-handler.js';
import type { AccordHandlerFn, AccordHandlerOptions } from './process-call.js';
import { signPayload } from '@accord/protocol';

async function start(
  fn: AccordHandlerFn,
  options: AccordHandlerOptions,
  { parser = options.secret !== undefined } = {},
): Promise<RunningParticipant> {
  const app = Fastify();
  await app.register((scope, _opts, done) => {
    if (parser) accordFastifyBodyParser(scope);
    scope.post('/p', accordFastifyHandler(fn, options));
    done();
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${address}/p`, close: () => app.close() };
}

handlerConformance('fastify', (fn, options) => start(fn, options));

describe('fastify specifics', () => {
  const SECRET = 'fastify-secret';
  const echo: AccordHandlerFn = (_ctx, body) => ({ body: body ?? null });

  test('a secret without accordFastifyBodyParser is a 500 that says what to do', async () => {
    const server = await start(echo, { secret: SECRET }, { parser: false });
    try {
      const body = '{"a":1}';
      const res = await post(
        server.url,
        accordHeaders('cancel', {
          'accord-signature': signPayload(SECRET, callOf('cancel'), body),
        }),
        body,
      );
      assert.equal(res.status, 500);
      assert.match(res.text, /accordFastifyBodyParser/);
    } finally {
      await server.close();
    }
  });

  test('the body parser accepts an empty JSON body as none', async () => {
    const server = await start(echo, {}, { parser: true });
    try {
      const res = await post(server.url, accordHeaders(), '');
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { body: null });
    } finally {
      await server.close();
    }
  });
});
