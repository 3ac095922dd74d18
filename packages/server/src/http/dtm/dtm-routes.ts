/**
 * DTM's HTTP API under `/api/dtmsvr`, over the same engine and store as the native API:
 * a DTM transaction is an ordinary Accord transaction whose branch calls keep DTM's
 * convention. Routes are thin: translation lives in dtm-body.ts, shapes in dtm-views.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { FieldIssue, ListQuery } from '@accord/core';
import { ValidationError } from '@accord/core';
import type { Engine } from '../../engine/engine.js';
import { requireRole, type Authorizer, type Role } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import { toDtmCreate, TRANS_TYPES, type DtmTransBody } from './dtm-body.js';
import { dtmPrepare, dtmRegister, dtmSubmit, findTransaction as find } from './dtm-operations.js';
import { DTM_SUCCESS, dtmErrorReply, dtmFailure, waitedReply } from './dtm-reply.js';
import { dtmBranches, dtmTransaction, statusFromDtm } from './dtm-views.js';

/** What the DTM routes need. */
export interface DtmRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly waitResultCapMs: number;
  readonly authorize: Authorizer;
}

const BASE = '/api/dtmsvr';
const HIDDEN = { schema: { hide: true } };

function gidOf(body: unknown): string {
  const gid = (body as { gid?: unknown } | null)?.gid;
  if (typeof gid !== 'string' || gid === '') {
    throw new ValidationError([{ path: '/gid', message: 'is required' }]);
  }
  return gid;
}

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
  const role = (r: Role) => ({ ...requireRole(deps.authorize, r), ...HIDDEN });
  const wait = (asked: boolean) => (asked ? deps.waitResultCapMs : null);

  void app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const { status, body } = dtmErrorReply(error);
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
      return reply.code(status).send(body);
    });

    scope.all('/api/ping', HIDDEN, async () => ({ msg: 'pong' }));
    scope.get(`${BASE}/version`, HIDDEN, async () => ({ version: 'accord' }));
    scope.get(`${BASE}/newGid`, role('client'), async () => ({
      gid: deps.create.newGid(),
      ...DTM_SUCCESS,
    }));

    scope.post<{ Body: DtmTransBody }>(`${BASE}/prepare`, role('client'), async (request) => {
      const dtm = toDtmCreate(request.body ?? {}, deps.create.config.defaults.retry.maxDelayMs);
      await dtmPrepare(deps, dtm);
      return DTM_SUCCESS;
    });

    scope.post<{ Body: DtmTransBody }>(`${BASE}/submit`, role('client'), async (request) => {
      const dtm = toDtmCreate(request.body ?? {}, deps.create.config.defaults.retry.maxDelayMs);
      const snapshot = await dtmSubmit(deps, dtm, wait(dtm.waitResult));
      return dtm.waitResult ? waitedReply(snapshot, 'succeeded') : DTM_SUCCESS;
    });

    scope.post<{ Body: DtmTransBody }>(`${BASE}/abort`, role('client'), async (request) => {
      const body = request.body ?? {};
      const gid = gidOf(body);
      const reason =
        typeof body.rollback_reason === 'string' && body.rollback_reason !== ''
          ? body.rollback_reason
          : 'aborted by client';
      await engine.abort(gid, reason);
      return DTM_SUCCESS;
    });

    const register = async (request: { body: unknown }) => {
      const data = request.body as Record<string, unknown> | null;
      if (
        typeof data !== 'object' ||
        data === null ||
        !Object.values(data).every((v) => typeof v === 'string')
      ) {
        throw new ValidationError([{ path: '', message: 'must be an object of strings' }]);
      }
      const fields = data as Record<string, string>;
      await dtmRegister(deps, { gid: gidOf(fields), fields, payload: fields['data'] ?? '' });
      return DTM_SUCCESS;
    };
    for (const name of ['registerBranch', 'registerTccBranch', 'registerXaBranch']) {
      scope.post(`${BASE}/${name}`, role('client'), register);
    }

    scope.get<{ Querystring: { gid?: string } }>(
      `${BASE}/query`,
      role('client'),
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
      role('client'),
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

    scope.post(`${BASE}/forceStop`, role('admin'), async (request) => {
      const gid = gidOf(request.body);
      const existing = await find(engine, gid);
      if (!existing) throw dtmFailure(`no transaction "${gid}"`);
      if (existing.tx.status === 'succeeded' || existing.tx.status === 'failed') {
        throw dtmFailure(`current status '${existing.tx.status}', cannot force stop`);
      }
      await engine.resolve(gid, 'failed', 'force stopped through the DTM API');
      return DTM_SUCCESS;
    });
  });
}
