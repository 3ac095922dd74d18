/**
 * TCC-for-REST participant links in Express, Fastify and Hono: mount one handler on a
 * route with an `:id` parameter (`/reservations/:id`) for `GET`, `PUT` and `DELETE`. Typed
 * structurally: no framework types in the public API, and the frameworks stay optional.
 */
import { tccRestAnswer } from './answer.js';
import { TCC_MEDIA_TYPE } from './node-handler.js';
import type { Reservations } from './reservations.js';

/** The parts of an Express request the handler reads. */
export interface ExpressTccRequestLike {
  readonly method: string;
  readonly params: Readonly<Record<string, string | undefined>>;
}

/** The parts of an Express (node:http) response the handler uses. */
export interface ExpressTccResponseLike {
  writeHead(status: number, headers: Readonly<Record<string, string>>): unknown;
  end(body?: string): unknown;
}

/**
 * An Express handler for the links `<route>/:id`.
 *
 * @example
 * app.all('/reservations/:id', tccRestExpressHandler(seats));
 */
export function tccRestExpressHandler<T>(
  reservations: Reservations<T>,
  param = 'id',
): (req: ExpressTccRequestLike, res: ExpressTccResponseLike) => Promise<void> {
  return async (req, res) => {
    const answer = await tccRestAnswer(reservations, req.method, req.params[param] ?? '');
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };
}

/** The parts of a Fastify request the handler reads. */
export interface FastifyTccRequestLike {
  readonly method: string;
  readonly params: unknown;
}

/** The parts of a Fastify reply the handler uses. */
export interface FastifyTccReplyLike {
  code(status: number): FastifyTccReplyLike;
  headers(values: Readonly<Record<string, string>>): FastifyTccReplyLike;
  send(payload?: string): FastifyTccReplyLike;
}

/** The parts of a Fastify instance {@link tccRestFastifyParser} uses. */
export interface FastifyTccParserHost {
  hasContentTypeParser(contentType: string): boolean;
  addContentTypeParser(
    contentType: string,
    parser: (request: unknown, payload: { resume(): unknown }, done: (e: null) => void) => void,
  ): unknown;
}

/**
 * Lets Fastify take the coordinator's calls: they are sent as `application/tcc` with an
 * empty body, which Fastify would otherwise refuse (415). Call it once, before the routes.
 *
 * @example
 * tccRestFastifyParser(app);
 * app.route({ method: ['GET', 'PUT', 'DELETE'], url: '/reservations/:id',
 *   handler: tccRestFastifyHandler(seats) });
 */
export function tccRestFastifyParser(app: FastifyTccParserHost): void {
  if (app.hasContentTypeParser(TCC_MEDIA_TYPE)) return;
  app.addContentTypeParser(TCC_MEDIA_TYPE, (_request, payload, done) => {
    payload.resume();
    done(null);
  });
}

/**
 * A Fastify handler for the links `<route>/:id`; register {@link tccRestFastifyParser}
 * first.
 *
 * @example
 * app.route({ method: ['GET', 'PUT', 'DELETE'], url: '/reservations/:id',
 *   handler: tccRestFastifyHandler(seats) });
 */
export function tccRestFastifyHandler<T>(
  reservations: Reservations<T>,
  param = 'id',
): (request: FastifyTccRequestLike, reply: FastifyTccReplyLike) => Promise<FastifyTccReplyLike> {
  return async (request, reply) => {
    const id = (request.params as Record<string, string | undefined>)[param] ?? '';
    const answer = await tccRestAnswer(reservations, request.method, id);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  };
}

/** The parts of a Hono context (`c`) the handler reads. */
export interface HonoTccContextLike {
  readonly req: { readonly method: string; param(name: string): string | undefined };
}

/**
 * A Hono handler for the links `<route>/:id`.
 *
 * @example
 * app.on(['GET', 'PUT', 'DELETE'], '/reservations/:id', tccRestHonoHandler(seats));
 */
export function tccRestHonoHandler<T>(
  reservations: Reservations<T>,
  param = 'id',
): (c: HonoTccContextLike) => Promise<Response> {
  return async (c) => {
    const answer = await tccRestAnswer(reservations, c.req.method, c.req.param(param) ?? '');
    return new Response(answer.body ?? null, { status: answer.status, headers: answer.headers });
  };
}
