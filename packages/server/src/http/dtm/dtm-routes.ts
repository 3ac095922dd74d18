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
import type { ErrorCode, FieldIssue, ListQuery, TransactionSnapshot } from '@accord/core';
import { AccordError, newOp, registeredOps, rulesOf, ValidationError } from '@accord/core';
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
import type { PendingHost } from '../../outbound/target-policy.js';
import { requireRole, type Authorizer, type Role } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import { checkUrlField } from '../create-request.js';
import { toDtmCreate, TRANS_TYPES, type DtmTransBody } from './dtm-body.js';
import { dtmNewTransaction } from './dtm-create.js';
import { ADMIN_ROUTE, ANY_ROUTE, CLIENT_ROUTE, WITH_BODY } from '../replies.js';
import { DTM_SUCCESS, dtmErrorReply, dtmFailure, dtmReplies, waitedReply } from './dtm-reply.js';
import { dtmBranches, dtmTransaction, statusFromDtm } from './dtm-views.js';

/** What the DTM routes need. */
export interface DtmRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly waitResultCapMs: number;
  /** Most steps a transaction body may list. */
  readonly maxSteps: number;
  readonly authorize: Authorizer;
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

/** The stored transaction, or undefined when there is none. */
async function find(engine: Engine, gid: string): Promise<TransactionSnapshot | undefined> {
  try {
    return (await engine.get(gid)).snapshot;
  } catch (error) {
    if (error instanceof AccordError && error.code === 'TRANSACTION_NOT_FOUND') return undefined;
    throw error;
  }
}

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
  const role = (r: Role) => requireRole(deps.authorize, r);
  const client = role('client');
  const transBody = dtmTransBodySchema(deps.maxSteps);
  const wait = (asked: boolean) => (asked ? deps.waitResultCapMs : null);

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
      async () => ({ gid: deps.create.newGid(), ...DTM_SUCCESS }),
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
    scope.post<{ Body: DtmTransBody }>(`${BASE}/prepare`, prepare, async (request) => {
      const dtm = toDtmCreate(request.body ?? {}, deps.create.config.defaults.retry.maxDelayMs);
      if (!rulesOf(dtm.body.mode).startsPrepared) {
        throw dtmFailure(`a ${dtm.body.mode} is not prepared: submit it`);
      }
      const existing = await find(engine, dtm.body.gid!);
      if (existing) {
        if (existing.tx.status !== 'prepared') {
          throw dtmFailure(`current status '${existing.tx.status}', cannot prepare`);
        }
        return DTM_SUCCESS;
      }
      await engine.create(await dtmNewTransaction(dtm, deps.create), null);
      return DTM_SUCCESS;
    });

    const submit = transRoute('DTM: submit (a saga or msg is created and run)', [
      ...CREATES,
      'BRANCH_ONGOING',
    ]);
    scope.post<{ Body: DtmTransBody }>(`${BASE}/submit`, submit, async (request) => {
      const dtm = toDtmCreate(request.body ?? {}, deps.create.config.defaults.retry.maxDelayMs);
      const gid = dtm.body.gid!;
      const waitMs = wait(dtm.waitResult);
      const existing = await find(engine, gid);
      let snapshot: TransactionSnapshot;
      if (existing === undefined) {
        const spec = await dtmNewTransaction(dtm, deps.create, { submittedAtOnce: true });
        const prepared = rulesOf(spec.mode).startsPrepared;
        snapshot = (await engine.create(spec, prepared ? null : waitMs)).snapshot;
        if (prepared) snapshot = await engine.submit(gid, waitMs);
      } else if (existing.tx.status === 'prepared') {
        snapshot = await engine.submit(gid, waitMs);
      } else if (existing.tx.status === 'submitted') {
        snapshot = existing;
      } else {
        throw dtmFailure(`current status '${existing.tx.status}', cannot submit`);
      }
      return dtm.waitResult ? waitedReply(snapshot, 'succeeded') : DTM_SUCCESS;
    });

    const abort = transRoute('DTM: abort', WRITES);
    scope.post<{ Body: DtmTransBody }>(`${BASE}/abort`, abort, async (request) => {
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
      const gid = gidOf(fields);
      const branchId = fields['branch_id'];
      if (!branchId) throw new ValidationError([{ path: '/branch_id', message: 'is required' }]);
      const existing = await find(engine, gid);
      if (!existing) throw dtmFailure(`no transaction "${gid}": prepare it first`);
      const ops = registeredOps(existing.tx.mode);
      if (ops === null) throw dtmFailure(`a ${existing.tx.mode} does not register branches`);
      const issues: FieldIssue[] = [];
      const pending: PendingHost[] = [];
      // tcc names a URL per op (confirm, cancel); xa one `url` for both phase-two ops.
      const urls = ops.map((op) => {
        const url = fields[op] ?? fields['url'];
        const path = fields[op] === undefined ? '/url' : `/${op}`;
        if (url === undefined) issues.push({ path: `/${op}`, message: 'is required' });
        else checkUrlField(deps.create.policy, url, path, issues, pending);
        return url ?? '';
      });
      if (issues.length === 0) issues.push(...(await deps.create.policy.checkPending(pending)));
      if (issues.length > 0) throw new ValidationError(issues);
      const payload = fields['data'] ?? '';
      await engine.register(
        gid,
        ops.map((op, i) => newOp(branchId, op, { url: urls[i]!, payload }, 0, 0)),
      );
      return DTM_SUCCESS;
    };
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
  });
}
