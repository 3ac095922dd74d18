/**
 * The `/v1/participants` routes: each participant's recent calls, caps and pause, and
 * the operator's pause and resume (shared by every instance on the store).
 */
import { AccordError, ValidationError } from '@accord/core';
import {
  ParticipantActionSchema,
  ParticipantListSchema,
  ParticipantParamsSchema,
  ParticipantSchema,
} from '@accord/core/schemas';
import type { Participants } from '../../participants/participants.js';
import { normalParticipant } from '../../participants/participant-key.js';
import { ADMIN_ROUTE, CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import { identityOf, requireRole, type Authorizer } from '../auth.js';
import type { AccordApp } from '../typed-app.js';

/** What the routes need. */
export interface ParticipantRoutesDeps {
  readonly participants: Participants;
  /** Checks the caller's role; throws UNAUTHORIZED/FORBIDDEN. */
  readonly authorize: Authorizer;
}

/** Registers the participant routes. */
export function participantRoutes(app: AccordApp, deps: ParticipantRoutesDeps): void {
  const { participants } = deps;
  const admin = requireRole(deps.authorize, 'admin');
  const actionReplies = replies({ 200: ParticipantSchema }, [
    ...ADMIN_ROUTE,
    ...WITH_BODY,
    'URI_TOO_LONG',
    'STORE_UNAVAILABLE',
  ]);

  app.get(
    '/v1/participants',
    {
      ...requireRole(deps.authorize, 'client'),
      schema: {
        summary: "Participants (target hosts): this instance's recent calls, caps and pauses",
        response: replies({ 200: ParticipantListSchema }, CLIENT_ROUTE),
      },
    },
    () => ({ items: participants.list() }),
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/v1/participants/:host/${action}`,
      {
        ...admin,
        schema: {
          summary:
            action === 'pause'
              ? 'Pause a participant: its calls are held, on every instance, until resumed'
              : 'Resume a participant: its held calls go out again, at a bounded rate',
          params: ParticipantParamsSchema,
          body: ParticipantActionSchema,
          response: actionReplies,
        },
      },
      async (request) => {
        const host = normalParticipant(request.params.host);
        if (host === null) {
          throw new ValidationError([{ path: '/host', message: 'the port must be 1-65535' }]);
        }
        const actor = identityOf(request).name;
        try {
          return await participants[action](host, actor, request.body.reason);
        } catch (error) {
          throw new AccordError(
            'STORE_UNAVAILABLE',
            `could not ${action} ${host}: the store did not take the change`,
            {
              cause: error instanceof Error ? error.message : String(error),
            },
          );
        }
      },
    );
  }
}
