/** The native `/v1/notifications` routes: best-effort notifications owned by the server. */
import type { FastifyInstance } from 'fastify';
import { AccordError, rulesOf } from '@accord/core';
import type { Engine } from '../../engine/engine.js';
import { requireRole, type Authorizer } from '../auth.js';
import type { CreateContext } from '../create-request.js';
import type { NotificationBody } from '../notify-request.js';
import { toNewNotification } from '../notify-request.js';
import { notificationParams, notificationSchema } from '../schemas.js';
import { attemptView, notificationView } from '../views.js';

/** What the routes need. */
export interface NotificationRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
}

/** Registers the notification routes. */
export function notificationRoutes(app: FastifyInstance, deps: NotificationRoutesDeps): void {
  const { engine } = deps;
  const client = requireRole(deps.authorize, 'client');

  app.post<{ Body: NotificationBody }>(
    '/v1/notifications',
    { ...client, schema: { body: notificationSchema } },
    async (request, reply) => {
      const spec = await toNewNotification(request.body, deps.create);
      const result = await engine.create(spec, null);
      return reply
        .code(result.created ? 201 : 200)
        .send({ notification: notificationView(result.snapshot) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/notifications/:id',
    { ...client, schema: { params: notificationParams } },
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
