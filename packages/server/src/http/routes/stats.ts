/** `GET /v1/stats`: the dashboard's overview. */
import { StatsReplySchema, type StatsReply } from '@accord/core/schemas';
import { requireRole, type Authorizer } from '../auth.js';
import { CLIENT_ROUTE, replies } from '../replies.js';
import type { AccordApp } from '../typed-app.js';

/** What the stats route needs. */
export interface StatsRoutesDeps {
  readonly authorize: Authorizer;
  readonly read: () => Promise<StatsReply>;
}

/** Registers `GET /v1/stats`. */
export function statsRoutes(app: AccordApp, deps: StatsRoutesDeps): void {
  app.get(
    '/v1/stats',
    {
      ...requireRole(deps.authorize, 'client'),
      schema: {
        summary:
          'Overview for the dashboard: live transactions, parked, due-queue lag, activity per minute, latency, instances',
        response: replies({ 200: StatsReplySchema }, [...CLIENT_ROUTE, 'STORE_UNAVAILABLE']),
      },
    },
    async () => deps.read(),
  );
}
