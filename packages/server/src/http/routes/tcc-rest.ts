/**
 * TCC for REST (Pardon & Pautasso, as Atomikos publishes it): `PUT /tcc/coordinator/confirm`
 * and `PUT /tcc/coordinator/cancel` with `application/tcc+json` bodies listing participant
 * links. Each request becomes a `tcc-rest` transaction on the same engine, visible in `/v1`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TransactionSnapshot } from '@accord/core';
import { LinkOutcomesSchema, NoContentSchema, tccRestRequestSchema } from '@accord/core/schemas';
import type { Engine } from '../../engine/engine.js';
import type { RoundTrips } from '../../outbound/round-trips.js';
import type { ParticipantLink } from '../../outbound/tcc-rest-calls.js';
import { requireRole, type Authorizer } from '../auth.js';
import { CLIENT_ROUTE, replies, WITH_BODY } from '../replies.js';
import type { CreateContext } from '../create-request.js';
import type { TccRestBody } from '../tcc-rest-request.js';
import {
  checkLinks,
  confirmStatus,
  linkOps,
  linkReports,
  tccRestGid,
  tccRestTransaction,
} from '../tcc-rest-request.js';
import { withRequestTrace } from '../../outbound/call-trace.js';

/** What the routes need. */
export interface TccRestRoutesDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly maxSteps: number;
  /** Longest a request waits for its participants' answers, ms. */
  readonly waitResultCapMs: number;
  /** Least time a link must have left before it is confirmed, besides the round trip, ms. */
  readonly safetyMarginMs: number;
  readonly roundTrips: RoundTrips;
  readonly now: () => number;
  readonly authorize: Authorizer;
}

/** The media type of the coordinator's requests. */
export const TCC_JSON = 'application/tcc+json';

/** Registers the two coordinator routes. */
export function tccRestRoutes(app: FastifyInstance, deps: TccRestRoutesDeps): void {
  const { engine } = deps;
  const options = {
    ...requireRole(deps.authorize, 'client'),
    schema: {
      summary: 'TCC for REST: confirm or cancel a list of participant links',
      consumes: [TCC_JSON],
      body: tccRestRequestSchema(deps.maxSteps),
      response: replies(
        {
          204: { ...NoContentSchema, description: 'Every link ended as asked' },
          404: { ...LinkOutcomesSchema, description: 'Every link ended cancelled or timed out' },
          409: { ...LinkOutcomesSchema, description: 'A heuristic outcome: the links ended apart' },
        },
        [
          ...CLIENT_ROUTE,
          ...WITH_BODY,
          'TARGET_FORBIDDEN',
          'STORE_UNAVAILABLE',
          'TRANSACTION_BUSY',
        ],
      ),
    },
  };

  /** Creates the transaction with every link registered; an existing one is left as it is. */
  async function prepared(
    links: readonly ParticipantLink[],
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): Promise<TransactionSnapshot> {
    const gid = tccRestGid(links);
    const existing = await engine.find(gid);
    if (existing !== null && existing.tx.status !== 'prepared') return existing;
    await engine.create(withRequestTrace(tccRestTransaction(links, deps.create), headers), null);
    let snapshot: TransactionSnapshot | null = null;
    for (const ops of linkOps(links)) snapshot = await engine.register(gid, ops);
    return snapshot ?? (await engine.get(gid)).snapshot;
  }

  /** Waits for the participants' answers, up to the latest expiry (and the cap). */
  function settled(
    snapshot: TransactionSnapshot,
    links: readonly ParticipantLink[],
  ): Promise<TransactionSnapshot> {
    const latest = Math.max(...links.map((l) => l.expires));
    const until = latest - deps.now() + snapshot.tx.options.requestTimeoutMs * 2;
    const wait = Math.min(deps.waitResultCapMs, Math.max(until, 1_000));
    return engine.awaitSettled(snapshot.tx.gid, wait);
  }

  app.put<{ Body: TccRestBody }>('/tcc/coordinator/confirm', options, async (request, reply) => {
    const links = await checkLinks(request.body, deps.create);
    let snapshot = await prepared(links, request.headers);
    if (snapshot.tx.status === 'prepared') {
      const margin = deps.safetyMarginMs + deps.roundTrips.ms;
      const soon = links.find((l) => l.expires - deps.now() < margin);
      snapshot =
        soon === undefined
          ? await engine.submit(snapshot.tx.gid, null)
          : await engine.abort(
              snapshot.tx.gid,
              `link ${soon.uri} expires within the safety margin of ${margin} ms`,
            );
    }
    return answer(reply, linkReports(await settled(snapshot, links), links), 'confirm');
  });

  app.put<{ Body: TccRestBody }>('/tcc/coordinator/cancel', options, async (request, reply) => {
    const links = await checkLinks(request.body, deps.create);
    let snapshot = await prepared(links, request.headers);
    if (snapshot.tx.status === 'prepared') {
      snapshot = await engine.abort(snapshot.tx.gid, 'cancelled by client');
    }
    return answer(reply, linkReports(await settled(snapshot, links), links), 'cancel');
  });
}

/**
 * Confirm: 204 all confirmed, 404 all cancelled or timed out, 409 with each link's
 * outcome otherwise. Cancel: 204 unless some link was confirmed (409 with the outcomes).
 */
function answer(
  reply: FastifyReply,
  reports: ReturnType<typeof linkReports>,
  action: 'confirm' | 'cancel',
): FastifyReply {
  const status =
    action === 'confirm'
      ? confirmStatus(reports)
      : reports.some((r) => r.outcome === 'confirmed' || r.outcome === 'pending')
        ? 409
        : 204;
  if (status === 204) return reply.code(204).send();
  return reply.code(status).send({ participantLinks: reports });
}
