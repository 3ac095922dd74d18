/**
 * Builds the HTTP application: Fastify with strict JSON validation, one error mapping,
 * auth, the native API and the system routes.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { Snowflake, Store } from '@accord/core';
import type { StatsReply } from '@accord/core/schemas';
import { AccordError } from '@accord/core';
import type { Engine } from '../engine/engine.js';
import { TopicRegistry } from '../topics/topic-registry.js';
import type { Participants } from '../participants/participants.js';
import { authorize } from './auth.js';
import type { AuthTokens, Role } from './auth.js';
import type { CreateContext } from './create-request.js';
import { dtmJsonRpcRoutes } from './dtm/dtm-json-rpc.js';
import { dtmRoutes } from './dtm/dtm-routes.js';
import { dtmErrorReply } from './dtm/dtm-reply.js';
import { DtmService } from './dtm/dtm-service.js';
import { clientErrorReply, toErrorReply } from './error-mapping.js';
import { useLimitedJsonParser } from './json-body.js';
import { lazyValidators, plainSerializers } from './lazy-compilers.js';
import { recordOpenapi } from './openapi.js';
import { notificationRoutes } from './routes/notifications.js';
import { participantRoutes } from './routes/participants.js';
import { reconciliationRoutes, type ReconciliationRoutesDeps } from './routes/reconciliations.js';
import { statsRoutes } from './routes/stats.js';
import { operatorRoutes } from './routes/operator.js';
import { systemRoutes } from './routes/system.js';
import { tccRestRoutes, type TccRestRoutesDeps } from './routes/tcc-rest.js';
import { transactionRoutes } from './routes/transactions.js';
import { uiRoutes } from './routes/ui.js';

/** Everything the HTTP app is built from. */
export interface AppDeps {
  readonly engine: Engine;
  readonly store: Store;
  readonly registry: MetricsRegistry;
  readonly ids: Snowflake;
  readonly create: CreateContext;
  readonly tokens: AuthTokens;
  readonly participants: Participants;
  readonly bodyLimit: number;
  readonly maxSteps: number;
  readonly waitResultCapMs: number;
  /** TCC for REST: the confirm's safety margin, the measured round trip, the time. */
  readonly tccRest: Pick<TccRestRoutesDeps, 'safetyMarginMs' | 'roundTrips' | 'now'>;
  readonly logger: FastifyBaseLogger;
  /**
   * Told of every answered request: method, route template (`unmatched` when no route
   * took it, so the label stays bounded), status, seconds.
   */
  readonly onAnswered?: (method: string, route: string, status: number, seconds: number) => void;
  /** Reads the dashboard's overview (`GET /v1/stats`). */
  readonly stats: () => Promise<StatsReply>;
  /** The built web UI's folder, served at `/ui`; null: no UI routes. */
  readonly uiRoot: string | null;
  /** Reconciliation jobs, their runs and the runner that starts them. */
  readonly reconcile: Omit<ReconciliationRoutesDeps, 'authorize' | 'policy' | 'now'>;
  /** Told of every route registered, before anything else hears of it. */
  readonly onRoute?: (route: { readonly method: string | string[]; readonly url: string }) => void;
}

/** Creates the Fastify app (not yet listening). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Per-request lines would dominate the log at load; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: false,
    // Malformed paths and over-long parameters answer in the same error shape as the rest
    // of their API: DTM's under /api/dtmsvr, the one error shape elsewhere.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      const dtm = request.url.startsWith('/api/dtmsvr/');
      const { status, body } = dtm ? dtmErrorReply(error) : toErrorReply(error);
      void reply.code(status).send(body);
    },
    // Errors Node's HTTP parser finds before Fastify sees a request (oversized headers).
    clientErrorHandler: (error, socket) => {
      if (socket.writable) socket.end(clientErrorReply(error));
      else socket.destroy(error);
    },
    // Schemas compile on each route's first request, not while the coordinator starts;
    // replies are plain JSON.stringify.
    schemaController: {
      compilersFactory: { buildValidator: lazyValidators(), buildSerializer: plainSerializers() },
    },
    ajv: {
      customOptions: {
        allErrors: true,
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
      },
    },
  });
  const { onRoute } = deps;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route));
  // Before any route: the OpenAPI document is built from the routes on its first request.
  const openapi = recordOpenapi(app);
  useLimitedJsonParser(app);
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorReply(error);
    if (status >= 500) {
      request.log.error({ err: error, url: request.url }, 'request failed');
    }
    if (status === 503) void reply.header('retry-after', '1');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toErrorReply(
      // The path only: a query string may carry a token.
      new AccordError(
        'NOT_FOUND',
        `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200) ?? ''}`,
      ),
    );
    return reply.code(status).send(body);
  });
  // While closing, answer new requests with SHUTTING_DOWN in the usual error shape.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  const onAnswered = deps.onAnswered;
  if (onAnswered) {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      onAnswered(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
  app.addHook('onRequest', async () => {
    if (closing)
      throw new AccordError('SHUTTING_DOWN', 'the coordinator is stopping; try another instance');
  });
  const check = (header: string | undefined, role: Role) => authorize(deps.tokens, header, role);
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  transactionRoutes(typed, {
    engine: deps.engine,
    create: deps.create,
    maxSteps: deps.maxSteps,
    waitResultCapMs: deps.waitResultCapMs,
    authorize: check,
  });
  operatorRoutes(typed, { engine: deps.engine, authorize: check });
  const topics = new TopicRegistry(deps.store.kv);
  const dtm = new DtmService({
    engine: deps.engine,
    create: deps.create,
    waitResultCapMs: deps.waitResultCapMs,
    topics,
  });
  dtmRoutes(app, {
    engine: deps.engine,
    create: deps.create,
    waitResultCapMs: deps.waitResultCapMs,
    maxSteps: deps.maxSteps,
    authorize: check,
    service: dtm,
    topics,
  });
  dtmJsonRpcRoutes(app, { service: dtm, authorize: check });
  notificationRoutes(typed, { engine: deps.engine, create: deps.create, authorize: check });
  tccRestRoutes(app, {
    ...deps.tccRest,
    engine: deps.engine,
    create: deps.create,
    maxSteps: deps.maxSteps,
    waitResultCapMs: deps.waitResultCapMs,
    authorize: check,
  });
  participantRoutes(typed, {
    participants: deps.participants,
    authorize: check,
  });
  systemRoutes(typed, {
    store: deps.store,
    registry: deps.registry,
    ids: deps.ids,
    authorize: check,
    openapi,
  });
  statsRoutes(typed, { authorize: check, read: deps.stats });
  reconciliationRoutes(typed, {
    ...deps.reconcile,
    policy: deps.create.policy,
    now: deps.create.now,
    authorize: check,
  });
  if (deps.uiRoot !== null) uiRoutes(typed, { root: deps.uiRoot });
  return app;
}
