/** Health, readiness, metrics, ids and the OpenAPI document. */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Snowflake, Store } from '@accord/core';
import { AccordError, ValidationError } from '@accord/core';
import { requireRole, type Authorizer } from '../auth.js';

/** What the system routes need. */
export interface SystemRoutesDeps {
  readonly store: Store;
  readonly registry: Registry;
  readonly ids: Snowflake;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
  /** The OpenAPI document (built on first use). */
  readonly openapi: () => Promise<unknown>;
}

const READY_TIMEOUT_MS = 2_000;

/** Registers the system routes. */
export function systemRoutes(app: FastifyInstance, deps: SystemRoutesDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    try {
      await Promise.race([
        deps.store.ping(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS).unref(),
        ),
      ]);
      return { status: 'ready', store: deps.store.kind };
    } catch (error) {
      return reply.code(503).send({
        error: {
          code: 'STORE_UNAVAILABLE',
          message: `the ${deps.store.kind} store does not answer: ${error instanceof Error ? error.message : String(error)}`,
        },
      });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });

  app.post<{ Querystring: { count?: string } }>(
    '/v1/ids',
    requireRole(deps.authorize, 'client'),
    async (request) => {
      const raw = request.query.count ?? '1';
      const count = Number(raw);
      if (!Number.isInteger(count) || count < 1 || count > 1000) {
        throw new ValidationError([
          { path: '(querystring)/count', message: 'must be an integer from 1 to 1000' },
        ]);
      }
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(deps.ids.next().toString());
      return { ids };
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => {
    const doc = await deps.openapi().catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      throw new AccordError('INTERNAL', `the OpenAPI document is not available: ${why}`);
    });
    return doc;
  });
}
