/** Health, readiness, metrics, ids and the OpenAPI document. */
import type { Static } from '@sinclair/typebox';
import type { Snowflake, Store } from '@accord/core';
import { AccordError } from '@accord/core';
import {
  HealthReplySchema,
  IdsQuerySchema,
  IdsReplySchema,
  MetricsReplySchema,
  OpenapiReplySchema,
  ReadyReplySchema,
} from '@accord/core/schemas';
import { requireRole, type Authorizer } from '../auth.js';
import { ANY_ROUTE, CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import type { AccordApp } from '../typed-app.js';
import type { MetricsRegistry } from '../../observability/metrics.js';
import { METRICS_CONTENT_TYPES, metricsFormatFor } from '../../observability/metrics-exposition.js';

/** What the system routes need. */
export interface SystemRoutesDeps {
  readonly store: Store;
  /** The metrics registry, scraped in the format the scraper asks for. */
  readonly registry: MetricsRegistry;
  readonly ids: Snowflake;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
  /** The OpenAPI document (built on first use). */
  readonly openapi: () => unknown;
}

const READY_TIMEOUT_MS = 2_000;

/** Registers the system routes. */
export function systemRoutes(app: AccordApp, deps: SystemRoutesDeps): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        response: replies({ 200: HealthReplySchema }, ANY_ROUTE),
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the store answers',
        response: replies({ 200: ReadyReplySchema }, [...ANY_ROUTE, 'STORE_UNAVAILABLE']),
      },
    },
    async (_request, reply) => {
      try {
        await Promise.race([
          deps.store.ping(),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS).unref(),
          ),
        ]);
        return { status: 'ready' as const, store: deps.store.kind };
      } catch (error) {
        return reply.code(503).send({
          error: {
            code: 'STORE_UNAVAILABLE',
            message: `the ${deps.store.kind} store does not answer: ${error instanceof Error ? error.message : String(error)}`,
          },
        });
      }
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary:
          'Prometheus metrics: text exposition format, or OpenMetrics with trace-id exemplars when Accept asks for application/openmetrics-text',
        response: replies({ 200: MetricsReplySchema }, ANY_ROUTE),
      },
    },
    async (request, reply) => {
      const format = metricsFormatFor(request.headers.accept);
      const text = await deps.registry.scrape(format);
      return reply.type(METRICS_CONTENT_TYPES[format]).send(text);
    },
  );

  app.post(
    '/v1/ids',
    {
      ...requireRole(deps.authorize, 'client'),
      schema: {
        summary: 'Time-ordered unique ids (for gids made by the client)',
        querystring: IdsQuerySchema,
        response: replies({ 200: IdsReplySchema }, [
          ...CLIENT_ROUTE,
          ...WITH_BODY,
          'CLOCK_MOVED_BACKWARDS',
        ]),
      },
    },
    async (request) => {
      const count = request.query.count ?? 1;
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(deps.ids.next().toString());
      return { ids };
    },
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This document',
        response: replies({ 200: OpenapiReplySchema }, ANY_ROUTE),
      },
    },
    async () => {
      try {
        return deps.openapi() as Static<typeof OpenapiReplySchema>;
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new AccordError('INTERNAL', `the OpenAPI document is not available: ${why}`);
      }
    },
  );
}
