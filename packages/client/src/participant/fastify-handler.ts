/**
 * Participant routes for Fastify, and the body parser that keeps the raw bytes for
 * signature checks. Typed structurally: no Fastify types in the public API.
 */
import type { HeadersLike } from './context.js';
import {
  declaresBody,
  parseJsonBody,
  participantCall,
  type AccordHandlerFn,
  type AccordHandlerOptions,
  type IncomingCall,
} from './process-call.js';
import { serialiseReply } from './send-reply.js';

/** The parts of a Fastify request the handler reads. */
export interface FastifyRequestLike {
  readonly headers: HeadersLike;
  readonly body?: unknown;
  /** Set by {@link accordFastifyBodyParser}. */
  readonly rawBody?: unknown;
}

/** The parts of a Fastify reply the handler uses. */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** The parts of a Fastify instance {@link accordFastifyBodyParser} uses. */
export interface FastifyBodyParserHost {
  removeContentTypeParser(contentType: string): unknown;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (
      request: object,
      body: Buffer,
      done: (error: Error | null, body?: unknown) => void,
    ) => void,
  ): unknown;
}

const RAW_MISSING =
  'signature check needs the raw body: call accordFastifyBodyParser(app) (in the scope of ' +
  'these routes) before registering them';

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}

/**
 * Replaces the JSON body parser of `app` (or of the encapsulated plugin you call it in)
 * with one that also keeps the exact bytes on `request.rawBody`, which signature checks
 * need, and accepts an empty JSON body as "no body".
 *
 * @example
 * await app.register(async (scope) => {
 *   accordFastifyBodyParser(scope);
 *   scope.post('/withdraw', accordFastifyHandler(withdraw, { secret }));
 * });
 */
export function accordFastifyBodyParser(
  app: FastifyBodyParserHost,
  options: { bodyLimit?: number } = {},
): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', ...(options.bodyLimit !== undefined && { bodyLimit: options.bodyLimit }) },
    (request, body, done) => {
      (request as { rawBody?: Buffer }).rawBody = body;
      try {
        done(null, parseJsonBody(body));
      } catch (error) {
        done(
          Object.assign(error instanceof Error ? error : new Error(String(error)), {
            statusCode: 400,
          }),
        );
      }
    },
  );
}

function gather(request: FastifyRequestLike): IncomingCall {
  const base = { headers: request.headers, rawMissingHint: RAW_MISSING };
  if (!declaresBody(request.headers)) return { ...base, raw: new Uint8Array(0) };
  const raw = bytesOf(request.rawBody) ?? bytesOf(request.body);
  if (raw !== undefined) return { ...base, raw };
  return { ...base, raw: undefined, parsed: request.body };
}

/**
 * A Fastify route handler with the behaviour of `accordHandler`: Accord headers parsed,
 * signature of every call verified when `secret` is set, `fn(ctx, body)` called, 200
 * with its JSON result (204 for none), 409 `BusinessFailure`, 425 `Ongoing`, 500
 * otherwise. With a `secret`, register {@link accordFastifyBodyParser} first so the raw
 * body is kept.
 *
 * @example
 * const app = Fastify();
 * accordFastifyBodyParser(app);
 * app.post('/cancel', accordFastifyHandler(async (ctx, body: Hold) => release(body), { secret }));
 */
export function accordFastifyHandler<B = unknown, R = unknown>(
  fn: AccordHandlerFn<B, R>,
  options: AccordHandlerOptions = {},
): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike> {
  const processCall = participantCall(fn, options);
  return async (request, reply) => {
    const out = serialiseReply(await processCall(gather(request)));
    reply.code(out.status);
    for (const [name, value] of Object.entries(out.headers)) reply.header(name, value);
    return reply.send(out.text === '' ? undefined : out.text);
  };
}
