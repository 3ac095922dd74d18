/** The native `/v1/transactions` routes. */
import type { FastifyRequest } from 'fastify';
import type { BranchOp, ErrorCode, FieldIssue, OpName } from '@accord/core';
import { newOp, parseLabelFilters, ValidationError } from '@accord/core';
import type { RegisterBranchRequest } from '@accord/core';
import type { ListQueryString } from '@accord/core/schemas';
import {
  AbortRequestSchema,
  createTransactionRequestSchema,
  DEFAULT_LIST_LIMIT,
  GidParamsSchema,
  ListQuerySchema,
  OperatorActionRequestSchema,
  QueryResultSchema,
  RegisterBranchRequestSchema,
  ResolveRequestSchema,
  RetryRequestSchema,
  SubmitRequestSchema,
  TransactionPageSchema,
  TransactionReplySchema,
} from '@accord/core/schemas';
import type { Engine, ListRequest } from '../../engine/engine.js';
import type { PendingHost, TargetPolicy } from '../../outbound/target-policy.js';
import { identityOf, requireRole, type Authorizer, type Role } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import { checkUrlField, toNewTransaction, waitMs } from '../create-request.js';
import { ADMIN_ROUTE, BY_GID, CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import type { AccordApp } from '../typed-app.js';
import { attemptView, transactionSummary, transactionView } from '../views.js';
import { withRequestTrace } from '../../outbound/call-trace.js';

/** What the routes need. */
export interface TransactionRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly maxSteps: number;
  readonly waitResultCapMs: number;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
}

function parseTime(value: string, path: string, issues: FieldIssue[]): number | undefined {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(ms)) issues.push({ path, message: 'must be an ISO time or epoch milliseconds' });
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The filters of a listing or bulk action, their structure checked by the schema, as
 * the engine takes them; `at` is where they sit in the request (`(querystring)`,
 * `/filter`).
 */
export function parseListFilter(
  q: Omit<ListQueryString, 'cursor' | 'limit'>,
  at: string,
): Omit<ListRequest, 'limit'> {
  const issues: FieldIssue[] = [];
  const since = q.since === undefined ? undefined : parseTime(q.since, `${at}/since`, issues);
  const until = q.until === undefined ? undefined : parseTime(q.until, `${at}/until`, issues);
  const { label, ...rest } = q;
  let labels: Record<string, string> | undefined;
  if (label !== undefined) {
    const parsed = parseLabelFilters(typeof label === 'string' ? [label] : label, `${at}/label`);
    issues.push(...parsed.issues);
    labels = parsed.labels;
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { ...rest, since, until, labels };
}

/** The listing's query string, its structure checked by the schema, as the engine takes it. */
export function parseListQuery(q: ListQueryString): ListRequest {
  const { cursor, limit, ...filter } = q;
  return {
    ...parseListFilter(filter, '(querystring)'),
    cursor,
    limit: limit ?? DEFAULT_LIST_LIMIT,
  };
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
  body: Partial<Record<OpName, string>> & Pick<RegisterBranchRequest, 'branchId' | 'payload'>,
  policy: TargetPolicy,
): Promise<BranchOp[]> {
  const given = PAIRS.filter(([a, b]) => body[a] !== undefined || body[b] !== undefined);
  const issues: FieldIssue[] = [];
  if (given.length !== 1) {
    issues.push({
      path: '',
      message: 'give either confirm and cancel (tcc) or commit and rollback (xa, at)',
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

/** `options` for a route whose body may be left out (it is then validated as `{}`). */
function optionalBody<O extends { config: object }>(options: O) {
  return {
    ...options,
    preValidation: bodyOptional,
    config: { ...options.config, optionalBody: true },
  };
}

/** Codes of the routes that act on a transaction's state. */
const STATE_CHANGE: readonly ErrorCode[] = [
  ...BY_GID,
  'INVALID_STATE',
  'TRANSACTION_BUSY',
  'CLOCK_MOVED_BACKWARDS',
];

/** Registers the transaction routes. */
export function transactionRoutes(app: AccordApp, deps: TransactionRoutesDeps): void {
  const { engine } = deps;
  const role = (r: Role) => requireRole(deps.authorize, r);

  app.post(
    '/v1/transactions',
    {
      ...role('client'),
      schema: {
        summary: 'Create a transaction (idempotent by gid)',
        body: createTransactionRequestSchema(deps.maxSteps),
        response: replies({ 200: TransactionReplySchema, 201: TransactionReplySchema }, [
          ...CLIENT_ROUTE,
          ...WITH_BODY,
          'TARGET_FORBIDDEN',
          'GID_CONFLICT',
          'STORE_UNAVAILABLE',
          'TRANSACTION_BUSY',
          'CLOCK_MOVED_BACKWARDS',
        ]),
      },
    },
    async (request, reply) => {
      const spec = withRequestTrace(
        await toNewTransaction(request.body, deps.create),
        request.headers,
      );
      const result = await engine.create(
        spec,
        waitMs(request.body.waitResult, deps.waitResultCapMs),
      );
      return reply
        .code(result.created ? 201 : 200)
        .send({ transaction: transactionView(result.snapshot) });
    },
  );

  app.get(
    '/v1/transactions',
    {
      ...role('client'),
      schema: {
        summary: 'List transactions, newest first',
        querystring: ListQuerySchema,
        response: replies({ 200: TransactionPageSchema }, [...CLIENT_ROUTE, 'STORE_UNAVAILABLE']),
      },
    },
    async (request) => {
      const page = await engine.list(parseListQuery(request.query));
      return { items: page.items.map(transactionSummary), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/transactions/:gid',
    {
      ...role('client'),
      schema: {
        summary: 'A transaction with its branches and the history of its attempts',
        params: GidParamsSchema,
        response: replies({ 200: QueryResultSchema }, [...CLIENT_ROUTE, ...BY_GID]),
      },
    },
    async (request) => {
      const { snapshot, history } = await engine.get(request.params.gid);
      return { transaction: transactionView(snapshot), history: history.map(attemptView) };
    },
  );

  app.post(
    '/v1/transactions/:gid/branches',
    {
      ...role('client'),
      schema: {
        summary: 'Register a tcc, xa or at branch',
        params: GidParamsSchema,
        body: RegisterBranchRequestSchema,
        response: replies({ 200: TransactionReplySchema }, [
          ...CLIENT_ROUTE,
          ...WITH_BODY,
          ...STATE_CHANGE,
          'TARGET_FORBIDDEN',
          'BRANCH_CONFLICT',
          'LOCK_CONFLICT',
        ]),
      },
    },
    async (request) => {
      const ops = await registrationOps(request.body, deps.create.policy);
      const { gid } = request.params;
      const snapshot = await engine.register(gid, ops, request.body.lockKeys ?? []);
      return { transaction: transactionView(snapshot) };
    },
  );

  app.post(
    '/v1/transactions/:gid/submit',
    {
      ...optionalBody(role('client')),
      schema: {
        summary: 'Submit a prepared transaction',
        params: GidParamsSchema,
        body: SubmitRequestSchema,
        response: replies({ 200: TransactionReplySchema }, [
          ...CLIENT_ROUTE,
          ...WITH_BODY,
          ...STATE_CHANGE,
        ]),
      },
    },
    async (request) => {
      const wait = waitMs(request.body.waitResult, deps.waitResultCapMs);
      return { transaction: transactionView(await engine.submit(request.params.gid, wait)) };
    },
  );

  app.post(
    '/v1/transactions/:gid/abort',
    {
      ...optionalBody(role('client')),
      schema: {
        summary: 'Abort a transaction',
        params: GidParamsSchema,
        body: AbortRequestSchema,
        response: replies({ 200: TransactionReplySchema }, [
          ...CLIENT_ROUTE,
          ...WITH_BODY,
          ...STATE_CHANGE,
        ]),
      },
    },
    async (request) => {
      const reason = request.body.reason ?? 'aborted by client';
      const actor = identityOf(request).name;
      return {
        transaction: transactionView(await engine.abort(request.params.gid, reason, null, actor)),
      };
    },
  );

  app.post(
    '/v1/transactions/:gid/retry',
    {
      ...optionalBody(role('admin')),
      schema: {
        summary: 'Retry a parked transaction now (operator)',
        params: GidParamsSchema,
        body: RetryRequestSchema,
        response: replies({ 200: TransactionReplySchema }, [
          ...ADMIN_ROUTE,
          ...WITH_BODY,
          ...STATE_CHANGE,
        ]),
      },
    },
    async (request) => {
      const note = { actor: identityOf(request).name, reason: request.body.reason?.trim() };
      return { transaction: transactionView(await engine.retry(request.params.gid, note)) };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/v1/transactions/:gid/${action}`,
      {
        ...role('admin'),
        schema: {
          summary:
            action === 'pause'
              ? 'Stop driving a transaction until it is resumed (operator)'
              : 'Drive a paused transaction again, its waiting calls at once (operator)',
          params: GidParamsSchema,
          body: OperatorActionRequestSchema,
          response: replies({ 200: TransactionReplySchema }, [
            ...ADMIN_ROUTE,
            ...WITH_BODY,
            ...STATE_CHANGE,
          ]),
        },
      },
      async (request) => {
        const actor = identityOf(request).name;
        const reason = request.body.reason.trim();
        const snapshot = await engine[action](request.params.gid, reason, actor);
        return { transaction: transactionView(snapshot) };
      },
    );
  }

  app.post(
    '/v1/transactions/:gid/resolve',
    {
      ...role('admin'),
      schema: {
        summary: 'Decide the outcome of a transaction by hand (operator)',
        params: GidParamsSchema,
        body: ResolveRequestSchema,
        response: replies({ 200: TransactionReplySchema }, [
          ...ADMIN_ROUTE,
          ...WITH_BODY,
          ...STATE_CHANGE,
        ]),
      },
    },
    async (request) => {
      const { status, reason } = request.body;
      return {
        transaction: transactionView(
          await engine.resolve(request.params.gid, status, reason.trim(), identityOf(request).name),
        ),
      };
    },
  );
}
