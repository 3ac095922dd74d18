/**
 * DTM's HTTP API under `/api/dtmsvr`, over the same engine and store as the native API:
 * a DTM transaction is an ordinary Accord transaction whose branch calls keep DTM's
 * convention. Routes are thin: translation lives in dtm-body.ts, shapes in dtm-views.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { FieldIssue, ListQuery } from '@accord/core';
import { ValidationError } from '@accord/core';
import type { Engine } from '../../engine/engine.js';
import type { TopicRegistry } from '../../topics/topic-registry.js';
import { requireRole, type Authorizer, type Role } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import { TRANS_TYPES, type DtmTransBody } from './dtm-body.js';
import { dtmCronRoutes } from './dtm-cron-routes.js';
import { DTM_SUCCESS, dtmErrorReply, dtmFailure } from './dtm-reply.js';
import { findTransaction as findDtm, gidOf } from './dtm-operations.js';
import { DtmService } from './dtm-service.js';
import { dtmTopicRoutes } from './dtm-topic-routes.js';
import { dtmBranches, dtmTransaction, statusFromDtm } from './dtm-views.js';

/** What the DTM routes need. */
export interface DtmRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly waitResultCapMs: number;
  readonly authorize: Authorizer;
  /** The DTM actions (shared with other transports); built from the above when absent. */
  readonly service?: DtmService;
  /** Topics of msg steps (`topic://<name>`). */
  readonly topics: TopicRegistry;
}

const BASE = '/api/dtmsvr';
const HIDDEN = { schema: { hide: true } };

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
  const service = deps.service ?? new DtmService(deps);
  const role = (r: Role) => ({ ...requireRole(deps.authorize, r), ...HIDDEN });

  void app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const { status, body } = dtmErrorReply(error);
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
      return reply.code(status).send(body);
    });

    scope.all('/api/ping', HIDDEN, async () => ({ msg: 'pong' }));
    scope.get(`${BASE}/version`, HIDDEN, async () => ({ version: 'accord' }));
    scope.get(`${BASE}/newGid`, role('client'), async () => ({
      gid: service.newGid(),
      ...DTM_SUCCESS,
    }));

    scope.post<{ Body: DtmTransBody }>(`${BASE}/prepare`, role('client'), (request) =>
      service.prepare(request.body ?? {}),
    );
    scope.post<{ Body: DtmTransBody }>(`${BASE}/submit`, role('client'), (request) =>
      service.submit(request.body ?? {}),
    );
    scope.post<{ Body: DtmTransBody }>(`${BASE}/abort`, role('client'), (request) =>
      service.abort(request.body ?? {}),
    );
    for (const name of ['registerBranch', 'registerTccBranch', 'registerXaBranch']) {
      scope.post(`${BASE}/${name}`, role('client'), (request) => service.register(request.body));
    }

    scope.get<{ Querystring: { gid?: string } }>(
      `${BASE}/query`,
      role('client'),
      async (request) => {
        const gid = request.query.gid;
        if (!gid)
          throw new ValidationError([{ path: '(querystring)/gid', message: 'is required' }]);
        const snapshot = await findDtm(engine, gid);
        if (!snapshot) return { transaction: null, branches: [] };
        return { transaction: dtmTransaction(snapshot), branches: dtmBranches(snapshot) };
      },
    );

    scope.get<{ Querystring: Record<string, string | undefined> }>(
      `${BASE}/all`,
      role('client'),
      async (request) => {
        const gid = request.query['gid'];
        if (gid) {
          const snapshot = await findDtm(engine, gid);
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

    scope.post(`${BASE}/forceStop`, role('admin'), async (request) => {
      const gid = gidOf(request.body);
      const existing = await findDtm(engine, gid);
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
