/**
 * DTM's operator routes that bring retries forward: `POST resetNextCronTime` (one
 * transaction, `{ gid }`) and `GET resetCronTime?timeout=&limit=` (every transaction
 * whose next retry is more than `timeout` seconds away, at most `limit`). Both make the
 * transactions due now, through the store's `hasten`, so the recovery path retries them
 * at its next poll. They need the admin token when tokens are set.
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import type { FieldIssue } from '@accord/core';
import { isTerminal, ValidationError } from '@accord/core';
import {
  DtmGidBodySchema,
  DtmResetCronTimeQuerySchema,
  DtmResetCronTimeReplySchema,
  DtmSuccessSchema,
} from '@accord/core/schemas';
import type { Engine } from '../../engine/engine.js';
import { ADMIN_ROUTE, WITH_BODY } from '../replies.js';
import { DTM_SUCCESS, dtmFailure, dtmReplies } from './dtm-reply.js';
import { findTransaction as findDtm, gidOf } from './dtm-operations.js';

/** What the routes need: the engine, DTM's default timeout, and the route options of a role. */
export interface DtmCronDeps {
  readonly engine: Engine;
  /** DTM's `TimeoutToFail` equivalent: the default prepared timeout, ms. */
  readonly preparedTimeoutMs: number;
  /** Route options that admit the admin role only. */
  readonly adminOnly: RouteShorthandOptions;
}

/** Most transactions one `resetCronTime` call may touch. */
export const RESET_LIMIT_MAX = 10_000;

/** The reply of `resetCronTime`, in DTM's fields. */
export interface ResetCronTimeReply {
  readonly has_remaining: boolean;
  readonly succeed_count: number;
}

function wholeNumber(
  raw: string | undefined,
  fallback: number,
  max: number,
  path: string,
  issues: FieldIssue[],
): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > max) {
    issues.push({ path: `(querystring)/${path}`, message: `must be a whole number up to ${max}` });
  }
  return n;
}

/** Registers the routes on a scope that already answers errors in DTM's shape. */
export function dtmCronRoutes(scope: FastifyInstance, base: string, deps: DtmCronDeps): void {
  const { engine } = deps;

  const codes = [...ADMIN_ROUTE, 'STORE_UNAVAILABLE'] as const;
  const resetNext = {
    ...deps.adminOnly,
    schema: {
      summary: 'DTM: retry one transaction now',
      body: DtmGidBodySchema,
      response: dtmReplies({ 200: DtmSuccessSchema }, [...codes, ...WITH_BODY, 'BRANCH_FAILED']),
    },
  };
  scope.post(`${base}/resetNextCronTime`, resetNext, async (request) => {
    const gid = gidOf(request.body);
    const existing = await findDtm(engine, gid);
    if (!existing) throw dtmFailure(`no transaction "${gid}"`);
    if (isTerminal(existing.tx.status)) {
      throw dtmFailure(`current status '${existing.tx.status}', nothing to retry`);
    }
    if (existing.tx.parked) {
      throw dtmFailure(
        `transaction "${gid}" is parked; retry it with POST /v1/transactions/${gid}/retry`,
      );
    }
    // Already due, or held by an instance driving it now: nothing to bring forward.
    await engine.hasten({ afterMs: 0, limit: 1, gid });
    return DTM_SUCCESS;
  });

  scope.get<{ Querystring: Record<string, string | undefined> }>(
    `${base}/resetCronTime`,
    {
      ...deps.adminOnly,
      schema: {
        summary: 'DTM: retry now every transaction waiting longer than a timeout',
        querystring: DtmResetCronTimeQuerySchema,
        response: dtmReplies({ 200: DtmResetCronTimeReplySchema }, codes),
      },
    },
    async (request): Promise<ResetCronTimeReply> => {
      const issues: FieldIssue[] = [];
      const defaultTimeout = Math.round((3 * deps.preparedTimeoutMs) / 1000);
      const timeout = wholeNumber(
        request.query['timeout'],
        defaultTimeout,
        10 ** 9,
        'timeout',
        issues,
      );
      const limit = wholeNumber(request.query['limit'], 100, RESET_LIMIT_MAX, 'limit', issues);
      if (issues.length > 0) throw new ValidationError(issues);
      const count = limit === 0 ? 0 : await engine.hasten({ afterMs: timeout * 1000, limit });
      // As DTM: a full batch says more may remain; call again until it says false.
      return { has_remaining: limit > 0 && count === limit, succeed_count: count };
    },
  );
}
