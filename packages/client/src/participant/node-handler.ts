/**
 * Participant routes for `node:http` and Express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AccordError } from '@accord/core';
import {
  DEFAULT_MAX_BODY_BYTES,
  declaresBody,
  participantCall,
  type AccordHandlerFn,
  type AccordHandlerOptions,
  type IncomingCall,
} from './process-call.js';
import { rejectionReply, type Reply } from './reply.js';
import { serialiseReply } from './send-reply.js';

/**
 * A `node:http` request, possibly decorated by Express body parsers (`body`) or a
 * raw-body capture (`rawBody`).
 */
export type NodeRequestLike = IncomingMessage & { body?: unknown; rawBody?: unknown };

const RAW_MISSING =
  'signature check needs the raw body, but a body parser consumed it: mount this route with ' +
  "express.raw({ type: '*/*' }) or express.text({ type: '*/*' }), or keep the bytes on req.rawBody " +
  '(express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }))';

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}

async function readRaw(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += bytes.length;
    if (size > limit) throw new AccordError('PAYLOAD_TOO_LARGE', `body exceeds ${limit} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** Gathers the body: raw bytes when still available, else what a parser left. */
async function gather(req: NodeRequestLike, limit: number): Promise<IncomingCall> {
  const base = { headers: req.headers, rawMissingHint: RAW_MISSING };
  if (!declaresBody(req.headers)) return { ...base, raw: new Uint8Array(0) };
  const raw = bytesOf(req.rawBody) ?? bytesOf(req.body);
  if (raw !== undefined) return { ...base, raw };
  if (req.body !== undefined) return { ...base, raw: undefined, parsed: req.body };
  return { ...base, raw: await readRaw(req, limit) };
}

/**
 * A participant route for `node:http` (`http.createServer(handler)`) and Express
 * (`app.post('/withdraw', handler)`). It parses the Accord headers, verifies the signature
 * of every call when `secret` is set, parses the JSON body (Express's `req.body` is used
 * when already parsed), calls `fn(ctx, body)` and answers 200 with its JSON result (204
 * when it returns nothing), 409 for `BusinessFailure`, 425 for `Ongoing`, 500 otherwise
 * (message only). Bad headers are 400, a bad signature 401.
 *
 * With Express and a `secret`, the raw bytes must survive the body parser: use
 * `express.raw({ type: '*\/*' })` or `express.text({ type: '*\/*' })` on these routes, or
 * keep them on `req.rawBody` via `express.json({ verify })`.
 *
 * @example
 * http.createServer(
 *   accordHandler<Transfer>(async (ctx, body) => {
 *     if (body.amount > 100) throw new BusinessFailure('limit exceeded');
 *     return { ok: true };
 *   }, { secret: process.env.ACCORD_SECRET }),
 * ).listen(8081);
 */
export function accordHandler<B = unknown, R = unknown>(
  fn: AccordHandlerFn<B, R>,
  options: AccordHandlerOptions = {},
): (req: NodeRequestLike, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const processCall = participantCall(fn, options);
  return (req, res) => {
    void (async () => {
      let reply: Reply;
      let close = false;
      try {
        reply = await processCall(await gather(req, limit));
      } catch (error) {
        // Reading the body failed (too large, aborted): the rest of it is never read.
        reply = rejectionReply(error);
        close = true;
      }
      const out = serialiseReply(reply);
      res.writeHead(out.status, close ? { ...out.headers, connection: 'close' } : out.headers);
      res.end(out.text);
    })().catch((error: unknown) => {
      // Only a broken socket gets here; nothing more can be sent.
      res.destroy(error instanceof Error ? error : undefined);
    });
  };
}
