/** Operator routes beside the per-transaction ones: who am I, and bulk actions by filter. */
import { ValidationError } from '@accord/core';
import {
  BulkReplySchema,
  BulkRequestSchema,
  MAX_BULK_LIMIT,
  WhoamiReplySchema,
} from '@accord/core/schemas';
import { runBulk } from '../../engine/bulk.js';
import type { Engine } from '../../engine/engine.js';
import { identityOf, requireRole, type Authorizer } from '../auth.js';
import { ADMIN_ROUTE, CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import type { AccordApp } from '../typed-app.js';
import { parseListFilter } from './transactions.js';

/** What the operator routes need. */
export interface OperatorRoutesDeps {
  readonly engine: Engine;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
}

/** Registers `GET /v1/whoami` and `POST /v1/bulk`. */
export function operatorRoutes(app: AccordApp, deps: OperatorRoutesDeps): void {
  app.get(
    '/v1/whoami',
    {
      ...requireRole(deps.authorize, 'client'),
      schema: {
        summary: "The name and role of the caller's token",
        response: replies({ 200: WhoamiReplySchema }, CLIENT_ROUTE),
      },
    },
    async (request) => identityOf(request),
  );

  app.post(
    '/v1/bulk',
    {
      ...requireRole(deps.authorize, 'admin'),
      schema: {
        summary: 'Retry, resolve, pause or resume every transaction a filter matches (operator)',
        body: BulkRequestSchema,
        response: replies({ 200: BulkReplySchema }, [
          ...ADMIN_ROUTE,
          ...WITH_BODY,
          'STORE_UNAVAILABLE',
        ]),
      },
    },
    async (request) => {
      const { body } = request;
      if (body.action === 'resolve' && body.status === undefined) {
        throw new ValidationError([{ path: '/status', message: 'is required to resolve' }]);
      }
      if (body.action !== 'resolve' && body.status !== undefined) {
        throw new ValidationError([{ path: '/status', message: 'is only used by resolve' }]);
      }
      return runBulk(deps.engine, {
        action: body.action,
        filter: parseListFilter(body.filter, '/filter'),
        reason: body.reason.trim(),
        status: body.status,
        dryRun: body.dryRun,
        limit: body.limit ?? MAX_BULK_LIMIT,
        actor: identityOf(request).name,
      });
    },
  );
}
