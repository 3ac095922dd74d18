/** The native `/v1/notifications` routes: best-effort notifications owned by the server. */
import { AccordError, rulesOf } from '@accord/core';
import {
  NotificationParamsSchema,
  NotificationQuerySchema,
  NotificationReplySchema,
  NotificationRequestSchema,
} from '@accord/core/schemas';
import type { Engine } from '../../engine/engine.js';
import { requireRole, type Authorizer } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import { toNewNotification } from '../notify-request.js';
import { BY_GID, CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import type { AccordApp } from '../typed-app.js';
import { attemptView, notificationView } from '../views.js';
import { withRequestTrace } from '../../outbound/call-trace.js';

/** What the routes need. */
export interface NotificationRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
}

/** Registers the notification routes. */
export function notificationRoutes(app: AccordApp, deps: NotificationRoutesDeps): void {
  const { engine } = deps;
  const client = requireRole(deps.authorize, 'client');

  app.post(
    '/v1/notifications',
    {
      ...client,
      schema: {
        summary: 'Send a best-effort notification (idempotent by id)',
        body: NotificationRequestSchema,
        response: replies({ 200: NotificationReplySchema, 201: NotificationReplySchema }, [
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
        await toNewNotification(request.body, deps.create),
        request.headers,
      );
      const result = await engine.create(spec, null);
      return reply
        .code(result.created ? 201 : 200)
        .send({ notification: notificationView(result.snapshot) });
    },
  );

  app.get(
    '/v1/notifications/:id',
    {
      ...client,
      schema: {
        summary: 'A notification and its delivery attempts',
        params: NotificationParamsSchema,
        response: replies({ 200: NotificationQuerySchema }, [...CLIENT_ROUTE, ...BY_GID]),
      },
    },
    async (request) => {
      const { snapshot, history } = await engine.get(request.params.id);
      if (rulesOf(snapshot.tx.mode).createdThrough !== 'notifications') {
        throw new AccordError(
          'TRANSACTION_NOT_FOUND',
          `no notification with id "${request.params.id}"`,
          { id: request.params.id },
        );
      }
      return { notification: notificationView(snapshot), history: history.map(attemptView) };
    },
  );
}
