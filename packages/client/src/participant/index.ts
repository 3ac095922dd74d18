/**
 * `@accord/client/participant`: serve branch calls. One framework-neutral core (read the
 * Accord headers, verify the signature, parse the body, map the result or error to the
 * protocol's status) behind a thin adapter per framework: `node:http` and Express,
 * Fastify, Hono (and any Fetch-API server).
 *
 * @example
 * import { accordHandler, BusinessFailure } from '@accord/client/participant';
 * http.createServer(accordHandler(async (ctx, body) => withdraw(ctx.gid, body))).listen(8081);
 */
export {
  headerValue,
  PARTICIPANT_OPS,
  readAccordContext,
  type AccordContext,
  type HeadersLike,
} from './context.js';
export {
  ReplayGuard,
  signPayload,
  verifySignature,
  SIGNATURE_TOLERANCE_MS,
  type ReplayCheck,
  type ReplayGuardOptions,
  type SignatureProblem,
  type SignedCall,
  type VerifyOptions,
} from '@accord/protocol';
export { BusinessFailure, Ongoing } from './failures.js';
export { TextReply, textReply } from './reply.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  type AccordHandlerFn,
  type AccordHandlerOptions,
} from './process-call.js';
export { accordHandler, type NodeRequestLike } from './node-handler.js';
export {
  accordFastifyBodyParser,
  accordFastifyHandler,
  type FastifyBodyParserHost,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify-handler.js';
export {
  accordFetchHandler,
  accordHonoHandler,
  type FetchRequestLike,
  type HonoContextLike,
  type HonoRequestLike,
} from './hono-handler.js';
export { ACCORD_HEADERS } from '@accord/core';
