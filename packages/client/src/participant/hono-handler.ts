/**
 * Participant routes for Hono and for any server built on the Fetch API (a `Request` in,
 * a `Response` out). Typed structurally: no Hono types in the public API.
 */
import { AccordError } from '@accord/core';
import type { HeadersLike } from './context.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  participantCall,
  type AccordHandlerFn,
  type AccordHandlerOptions,
  type CallProcessor,
} from './process-call.js';
import { rejectionReply, type Reply } from './reply.js';
import { serialiseReply } from './send-reply.js';

/** The parts of a Fetch-API `Request` the handler reads. */
export interface FetchRequestLike {
  readonly headers: HeadersLike & { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
}

/** The parts of Hono's `c.req` the handler reads. */
export interface HonoRequestLike {
  /** The underlying Fetch-API request; `body` is null when there is none. */
  readonly raw: FetchRequestLike;
  /** The body bytes, from Hono's cache when a middleware already read the body. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The parts of a Hono context (`c`) the handler reads. */
export interface HonoContextLike {
  readonly req: HonoRequestLike;
}

async function readStream(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new AccordError('PAYLOAD_TOO_LARGE', `body exceeds ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function toResponse(reply: Reply): Response {
  const out = serialiseReply(reply);
  return new Response(out.text === '' ? null : out.text, {
    status: out.status,
    headers: out.headers,
  });
}

async function answer(
  processCall: CallProcessor,
  headers: HeadersLike,
  read: () => Promise<Uint8Array>,
): Promise<Response> {
  let raw: Uint8Array;
  try {
    raw = await read();
  } catch (error) {
    return toResponse(rejectionReply(error));
  }
  return toResponse(await processCall({ headers, raw, rawMissingHint: '' }));
}

/**
 * A participant route for any Fetch-API server (`(request) => Response`), with the
 * behaviour of `accordHandler`: Accord headers parsed, the signature of every call
 * verified when `secret` is set, `fn(ctx, body)` called, 200 with its JSON result (204 for
 * none), 409 `BusinessFailure`, 425 `Ongoing`, 500 otherwise; 413 past `maxBodyBytes`.
 *
 * @example
 * Bun.serve({ port: 8081, fetch: accordFetchHandler(async (ctx, body: Hold) => hold(body)) });
 */
export function accordFetchHandler<B = unknown, R = unknown>(
  fn: AccordHandlerFn<B, R>,
  options: AccordHandlerOptions = {},
): (request: FetchRequestLike) => Promise<Response> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const processCall = participantCall(fn, options);
  return (request) => answer(processCall, request.headers, () => readStream(request.body, limit));
}

/**
 * A Hono route handler with the behaviour of {@link accordFetchHandler}. The exact body
 * bytes are read from the request, so signatures verify; if a middleware already read the
 * body, Hono's cached copy is used.
 *
 * @example
 * const app = new Hono();
 * app.post('/withdraw', accordHonoHandler(async (ctx, body: Transfer) => withdraw(body), { secret }));
 */
export function accordHonoHandler<B = unknown, R = unknown>(
  fn: AccordHandlerFn<B, R>,
  options: AccordHandlerOptions = {},
): (c: HonoContextLike) => Promise<Response> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const processCall = participantCall(fn, options);
  return (c) =>
    answer(processCall, c.req.raw.headers, async () => {
      if (!c.req.raw.bodyUsed) return readStream(c.req.raw.body, limit);
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.byteLength > limit) {
        throw new AccordError('PAYLOAD_TOO_LARGE', `body exceeds ${limit} bytes`);
      }
      return bytes;
    });
}
