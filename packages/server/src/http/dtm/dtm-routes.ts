/**
 * DTM's HTTP API under `/api/dtmsvr`, over the same engine and store as the native API:
 * a DTM transaction is an ordinary Accord transaction whose branch calls keep DTM's
 * convention. Routes are thin: translation lives in dtm-body.ts, shapes in dtm-views.ts.
 *
 * Each route validates with its schemas from @accord/core/schemas (dtm.ts) and lists its
 * replies with {@link dtmReplies}; the OpenAPI document is built from them. A new route
 * does the same: its request schema in core's dtm.ts, `schema: { summary, body or
 * querystring, response: dtmReplies({ 200: … }, codes) }` here.
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorCode, FieldIssue, ListQuery } from '@accord/core';
import { ValidationError } from '@accord/core';
import {
  DtmAllQuerySchema,
  DtmAllReplySchema,
  DtmGidBodySchema,
  DtmNewGidSchema,
  DtmPingSchema,
  DtmQueryQuerySchema,
  DtmQueryReplySchema,
  DtmRegisterBodySchema,
  DtmSuccessSchema,
  dtmTransBodySchema,
  DtmVersionSchema,
} from '@accord/core/schemas';
import type { Engine } from '../../engine/engine.js';
import type { TopicRegistry } from '../../topics/topic-registry.js';
import { requireRole, type Authorizer, type Role } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import { ADMIN_ROUTE, ANY_ROUTE, CLIENT_ROUTE, WITH_BODY } from '../replies.js';
import { TRANS_TYPES, type DtmTransBody } from './dtm-body.js';
import { dtmCronRoutes } from './dtm-cron-routes.js';
import { findTransaction as find, gidOf } from './dtm-operations.js';
import { DTM_SUCCESS, dtmErrorReply, dtmFailure, dtmReplies } from './dtm-reply.js';
import { DtmService } from './dtm-service.js';
import { dtmTopicRoutes } from './dtm-topic-routes.js';
import { dtmBranches, dtmTransaction, statusFromDtm } from './dtm-views.js';

/** What the DTM routes need. */
export interface DtmRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly waitResultCapMs: number;
  /** Most steps a transaction body may list. */
  readonly maxSteps: number;
  readonly authorize: Authorizer;
  /** The DTM actions (shared with other transports); built from the above when absent. */
  readonly service?: DtmService;
  /** Topics of msg steps (`topic://<name>`). */
  readonly topics: TopicRegistry;
}

const BASE = '/api/dtmsvr';

/** Codes of a route that writes through the engine. */
const WRITES: readonly ErrorCode[] = [
  ...WITH_BODY,
  'BRANCH_FAILED',
  'INVALID_STATE',
  'TRANSACTION_NOT_FOUND',
  'STORE_UNAVAILABLE',
  'TRANSACTION_BUSY',
];
/** Codes of a route that creates a transaction. */
const CREATES: readonly ErrorCode[] = [
  ...WRITES,
  'TARGET_FORBIDDEN',
  'GID_CONFLICT',
  'CLOCK_MOVED_BACKWARDS',
];
/** DTM's `/api/ping` answers any of these methods. */
const PING_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Parses `all`'s query string into a listing query. */
export function dtmListQuery(q: Record<string, string | undefined>): ListQuery {
  const issues: FieldIssue[] = [];
  const limit = q['limit'] === undefined || q['limit'] === '' ? 100 : Number(q['limit']);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    issues.push({ path: '(querystring)/limit', message: 'must be an integer from 1 to 500' });
  }
  const status = q['status'] ? statusFromDtm(q['status']) : undefined;
  if (q['status'] && status === undefined) {
    issues.push({ path: '(querystring)/status', message: 'is not a DTM status' });
  }
  const transType = q['transType'] || undefined;
  const mode = transType === undefined ? undefined : TRANS_TYPES[transType];
  if (transType !== undefined && mode === undefined) {
    issues.push({ path: '(querystring)/transType', message: 'must be saga, tcc, xa or msg' });
  }
  const time = (key: string) => {
    const value = q[key];
    if (!value) return undefined;
    if (!/^\d+$/.test(value)) {
      issues.push({ path: `(querystring)/${key}`, message: 'must be epoch milliseconds' });
    }
    return Number(value);
  };
  const since = time('createTimeStart');
  const until = time('createTimeEnd');
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    status,
    mode,
    since,
    until,
    cursor: q['position'] || undefined,
    limit,
  };
}

/** Registers the DTM-compatible routes in their own scope (DTM's reply shapes). */
export function dtmRoutes(app: FastifyInstance, deps: DtmRoutesDeps): void {
  const { engine } = deps;
  const role = (r: Role) => requireRole(deps.authorize, r);
  const client = role('client');
  const transBody = dtmTransBodySchema(deps.maxSteps);
  const service = deps.service ?? new DtmService(deps);

  void app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const { status, body } = dtmErrorReply(error);
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
      return reply.code(status).send(body);
    });

    scope.route({
      method: PING_METHODS,
      url: '/api/ping',
      schema: {
        summary: 'DTM: is the coordinator up',
        response: dtmReplies({ 200: DtmPingSchema }, [...ANY_ROUTE, ...WITH_BODY]),
      },
      handler: async () => ({ msg: 'pong' }),
    });
    scope.get(
      `${BASE}/version`,
      {
        schema: {
          summary: 'DTM: the server version',
          response: dtmReplies({ 200: DtmVersionSchema }, ANY_ROUTE),
        },
      },
      async () => ({ version: 'accord' }),
    );
    scope.get(
      `${BASE}/newGid`,
      {
        ...client,
        schema: {
          summary: 'DTM: a new gid',
          response: dtmReplies({ 200: DtmNewGidSchema }, [
            ...CLIENT_ROUTE,
            'CLOCK_MOVED_BACKWARDS',
          ]),
        },
      },
      async () => ({ gid: service.newGid(), ...DTM_SUCCESS }),
    );

    const transRoute = (summary: string, codes: readonly ErrorCode[]) => ({
      ...client,
      schema: {
        summary,
        body: transBody,
        response: dtmReplies({ 200: DtmSuccessSchema }, [...CLIENT_ROUTE, ...codes]),
      },
    });

    const prepare = transRoute('DTM: prepare a tcc, xa or msg', CREATES);
    scope.post<{ Body: DtmTransBody }>(`${BASE}/prepare`, prepare, (request) =>
      service.prepare(request.body ?? {}, request.headers),
    );

    const submit = transRoute('DTM: submit (a saga or msg is created and run)', [
      ...CREATES,
      'BRANCH_ONGOING',
    ]);
    scope.post<{ Body: DtmTransBody }>(`${BASE}/submit`, submit, (request) =>
      service.submit(request.body ?? {}, request.headers),
    );

    const abort = transRoute('DTM: abort', [...WRITES, 'BRANCH_ONGOING']);
    scope.post<{ Body: DtmTransBody }>(`${BASE}/abort`, abort, (request) =>
      service.abort(request.body ?? {}),
    );

    const register = (request: { body: unknown }) => service.register(request.body);
    for (const name of ['registerBranch', 'registerTccBranch', 'registerXaBranch']) {
      scope.post(
        `${BASE}/${name}`,
        {
          ...client,
          schema: {
            summary: 'DTM: register a tcc or xa branch',
            body: DtmRegisterBodySchema,
            response: dtmReplies({ 200: DtmSuccessSchema }, [
              ...CLIENT_ROUTE,
              ...WRITES,
              'TARGET_FORBIDDEN',
              'BRANCH_CONFLICT',
            ]),
          },
        },
        register,
      );
    }

    const reads = [...CLIENT_ROUTE, 'STORE_UNAVAILABLE'] as const;
    scope.get<{ Querystring: { gid?: string } }>(
      `${BASE}/query`,
      {
        ...client,
        schema: {
          summary: 'DTM: a transaction and its branch rows',
          querystring: DtmQueryQuerySchema,
          response: dtmReplies({ 200: DtmQueryReplySchema }, reads),
        },
      },
      async (request) => {
        const gid = request.query.gid;
        if (!gid)
          throw new ValidationError([{ path: '(querystring)/gid', message: 'is required' }]);
        const snapshot = await find(engine, gid);
        if (!snapshot) return { transaction: null, branches: [] };
        return { transaction: dtmTransaction(snapshot), branches: dtmBranches(snapshot) };
      },
    );

    scope.get<{ Querystring: Record<string, string | undefined> }>(
      `${BASE}/all`,
      {
        ...client,
        schema: {
          summary: 'DTM: a page of transactions',
          querystring: DtmAllQuerySchema,
          response: dtmReplies({ 200: DtmAllReplySchema }, reads),
        },
      },
      async (request) => {
        const gid = request.query['gid'];
        if (gid) {
          const snapshot = await find(engine, gid);
          return {
            transactions: snapshot ? [dtmTransaction({ tx: snapshot.tx, ops: [] })] : [],
            next_position: '',
          };
        }
        const page = await engine.list(dtmListQuery(request.query));
        return {
          transactions: page.items.map((tx) => dtmTransaction({ tx, ops: [] })),
          next_position: page.nextCursor ?? '',
        };
      },
    );

    const forceStop = {
      ...role('admin'),
      schema: {
        summary: 'DTM: stop a transaction for good (failed)',
        body: DtmGidBodySchema,
        response: dtmReplies({ 200: DtmSuccessSchema }, [...ADMIN_ROUTE, ...WRITES]),
      },
    };
    scope.post(`${BASE}/forceStop`, forceStop, async (request) => {
      const gid = gidOf(request.body);
      const existing = await find(engine, gid);
      if (!existing) throw dtmFailure(`no transaction "${gid}"`);
      if (existing.tx.status === 'succeeded' || existing.tx.status === 'failed') {
        throw dtmFailure(`current status '${existing.tx.status}', cannot force stop`);
      }
      await engine.resolve(gid, 'failed', 'force stopped through the DTM API');
      return DTM_SUCCESS;
    });

    dtmTopicRoutes(scope, { ...deps, policy: deps.create.policy });

    dtmCronRoutes(scope, BASE, {
      engine,
      preparedTimeoutMs: deps.create.config.defaults.preparedTimeoutMs,
      adminOnly: role('admin'),
    });
  });
}
