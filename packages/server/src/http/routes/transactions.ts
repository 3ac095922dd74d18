/** The native `/v1/transactions` routes. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BranchOp, GlobalStatus, ListQuery, Mode, OpName } from '@accord/core';
import { GLOBAL_STATUSES, MODES, newOp, ValidationError } from '@accord/core';
import type { FieldIssue } from '@accord/core';
import type { Engine } from '../../engine/engine.js';
import type { PendingHost, TargetPolicy } from '../../outbound/target-policy.js';
import { requireRole, type Authorizer, type Role } from '../auth.js';
import type { CreateBody, CreateContext } from '../create-request.js';
import { checkUrlField, toNewTransaction, waitMs } from '../create-request.js';
import {
  abortSchema,
  createSchema,
  gidParams,
  registerSchema,
  resolveSchema,
  submitSchema,
} from '../schemas.js';
import { attemptView, transactionSummary, transactionView } from '../views.js';

/** What the routes need. */
export interface TransactionRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly maxSteps: number;
  readonly waitResultCapMs: number;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
}

interface GidParams {
  gid: string;
}

function parseTime(value: string, path: string, issues: FieldIssue[]): number | undefined {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) issues.push({ path, message: 'must be an ISO time or epoch milliseconds' });
  return Number.isNaN(ms) ? undefined : ms;
}

/** Parses and checks the listing's query string. */
export function parseListQuery(q: Record<string, string | undefined>): ListQuery {
  const issues: FieldIssue[] = [];
  const known = ['status', 'mode', 'parked', 'since', 'until', 'cursor', 'limit'];
  for (const key of Object.keys(q)) {
    if (!known.includes(key))
      issues.push({ path: `(querystring)/${key}`, message: 'is not a known filter' });
  }
  if (q['status'] !== undefined && !GLOBAL_STATUSES.includes(q['status'] as GlobalStatus)) {
    issues.push({
      path: '(querystring)/status',
      message: `must be one of ${GLOBAL_STATUSES.join(', ')}`,
    });
  }
  if (q['mode'] !== undefined && !MODES.includes(q['mode'] as Mode)) {
    issues.push({ path: '(querystring)/mode', message: `must be one of ${MODES.join(', ')}` });
  }
  if (q['parked'] !== undefined && q['parked'] !== 'true' && q['parked'] !== 'false') {
    issues.push({ path: '(querystring)/parked', message: 'must be true or false' });
  }
  const limit = q['limit'] === undefined ? 50 : Number(q['limit']);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    issues.push({ path: '(querystring)/limit', message: 'must be an integer from 1 to 500' });
  }
  const since =
    q['since'] === undefined ? undefined : parseTime(q['since'], '(querystring)/since', issues);
  const until =
    q['until'] === undefined ? undefined : parseTime(q['until'], '(querystring)/until', issues);
  if (q['cursor'] !== undefined && q['cursor'].length > 512) {
    issues.push({ path: '(querystring)/cursor', message: 'is too long' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    status: q['status'] as GlobalStatus | undefined,
    mode: q['mode'] as Mode | undefined,
    parked: q['parked'] === undefined ? undefined : q['parked'] === 'true',
    since,
    until,
    cursor: q['cursor'],
    limit,
  };
}

/** Body of a branch registration: a tcc pair (confirm, cancel) or an xa pair (commit, rollback). */
interface RegisterBody {
  branchId: string;
  confirm?: string;
  cancel?: string;
  commit?: string;
  rollback?: string;
  payload?: unknown;
}

const PAIRS = [
  ['confirm', 'cancel'],
  ['commit', 'rollback'],
] as const satisfies readonly (readonly [OpName, OpName])[];

/**
 * The two ops of a registration, after checking that exactly one pair of targets is
 * given (whether it suits the transaction's mode is the state machine's call).
 */
export async function registrationOps(
  body: RegisterBody,
  policy: TargetPolicy,
): Promise<BranchOp[]> {
  const given = PAIRS.filter(([a, b]) => body[a] !== undefined || body[b] !== undefined);
  const issues: FieldIssue[] = [];
  if (given.length !== 1) {
    issues.push({
      path: '',
      message: 'give either confirm and cancel (tcc) or commit and rollback (xa)',
    });
    throw new ValidationError(issues);
  }
  const pair = given[0]!;
  const pending: PendingHost[] = [];
  for (const name of pair) {
    const url = body[name];
    if (url === undefined) issues.push({ path: `/${name}`, message: 'is required' });
    else checkUrlField(policy, url, `/${name}`, issues, pending);
  }
  if (issues.length === 0) issues.push(...(await policy.checkPending(pending)));
  if (issues.length > 0) throw new ValidationError(issues);
  const text = body.payload === undefined ? '' : JSON.stringify(body.payload);
  return pair.map((name) =>
    newOp(body.branchId, name, { url: body[name] ?? '', payload: text }, 0, 0),
  );
}

/** Lets a route's optional body be left out: a request without one is validated as `{}`. */
async function bodyOptional(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}

/** Registers the transaction routes. */
export function transactionRoutes(app: FastifyInstance, deps: TransactionRoutesDeps): void {
  const { engine } = deps;
  const role = (r: Role) => requireRole(deps.authorize, r);

  app.post<{ Body: CreateBody }>(
    '/v1/transactions',
    { ...role('client'), schema: { body: createSchema(deps.maxSteps) } },
    async (request, reply) => {
      const spec = await toNewTransaction(request.body, deps.create);
      const result = await engine.create(
        spec,
        waitMs(request.body.waitResult, deps.waitResultCapMs),
      );
      return reply
        .code(result.created ? 201 : 200)
        .send({ transaction: transactionView(result.snapshot) });
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/v1/transactions',
    role('client'),
    async (request) => {
      const page = await engine.list(parseListQuery(request.query));
      return { items: page.items.map(transactionSummary), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: GidParams }>(
    '/v1/transactions/:gid',
    { ...role('client'), schema: { params: gidParams } },
    async (request) => {
      const { snapshot, history } = await engine.get(request.params.gid);
      return { transaction: transactionView(snapshot), history: history.map(attemptView) };
    },
  );

  app.post<{ Params: GidParams; Body: RegisterBody }>(
    '/v1/transactions/:gid/branches',
    { ...role('client'), schema: { params: gidParams, body: registerSchema } },
    async (request) => {
      const ops = await registrationOps(request.body, deps.create.policy);
      return { transaction: transactionView(await engine.register(request.params.gid, ops)) };
    },
  );

  app.post<{ Params: GidParams; Body: { waitResult?: boolean | number } | undefined }>(
    '/v1/transactions/:gid/submit',
    {
      ...role('client'),
      preValidation: bodyOptional,
      schema: { params: gidParams, body: submitSchema },
    },
    async (request) => {
      const wait = waitMs(request.body?.waitResult, deps.waitResultCapMs);
      return { transaction: transactionView(await engine.submit(request.params.gid, wait)) };
    },
  );

  app.post<{ Params: GidParams; Body: { reason?: string } | undefined }>(
    '/v1/transactions/:gid/abort',
    {
      ...role('client'),
      preValidation: bodyOptional,
      schema: { params: gidParams, body: abortSchema },
    },
    async (request) => {
      const reason = request.body?.reason ?? 'aborted by client';
      return { transaction: transactionView(await engine.abort(request.params.gid, reason)) };
    },
  );

  app.post<{ Params: GidParams }>(
    '/v1/transactions/:gid/retry',
    { ...role('admin'), schema: { params: gidParams } },
    async (request) => ({ transaction: transactionView(await engine.retry(request.params.gid)) }),
  );

  app.post<{ Params: GidParams; Body: { status: 'succeeded' | 'failed'; reason: string } }>(
    '/v1/transactions/:gid/resolve',
    { ...role('admin'), schema: { params: gidParams, body: resolveSchema } },
    async (request) => {
      const { status, reason } = request.body;
      return {
        transaction: transactionView(
          await engine.resolve(request.params.gid, status, reason.trim()),
        ),
      };
    },
  );
}
