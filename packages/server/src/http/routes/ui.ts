/**
 * The web UI (packages/dashboard, built to static files): `/ui/` serves its page,
 * `/ui/assets/:file` its scripts and styles, and `/` and `/ui` redirect to `/ui/`. Every
 * answer carries a strict Content-Security-Policy: scripts, styles and requests from this
 * origin only, nothing inline, no frames.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccordError } from '@accord/core';
import {
  UiAssetParamsSchema,
  UiAssetReplySchema,
  UiPageReplySchema,
  UiRedirectReplySchema,
} from '@accord/core/schemas';
import { ANY_ROUTE, replies } from '../replies.js';
import type { AccordApp } from '../typed-app.js';

/** The policy every UI answer carries. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the built UI is. */
export interface UiRoutesDeps {
  /** The folder with index.html and assets/ (packages/dashboard/dist). */
  readonly root: string;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', UI_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

/**
 * Streams one file of the built UI (content type, ETag, Last-Modified and ranges by
 * `@fastify/send`, which is loaded on the first UI request rather than at start-up).
 * `cacheControl` is the header the caller chose for this kind of file.
 */
async function sendUiFile(
  request: FastifyRequest,
  reply: FastifyReply,
  root: string,
  path: string,
  cacheControl: string,
): Promise<FastifyReply> {
  const { default: send } = await import('@fastify/send');
  const result = await send(request.raw, path, { root, cacheControl: false, dotfiles: 'deny' });
  if (result.type !== 'file' && result.statusCode !== 304) {
    result.stream.destroy();
    throw new AccordError('NOT_FOUND', `no UI file ${path}`);
  }
  return secure(reply)
    .code(result.statusCode)
    .headers(result.headers)
    .header('cache-control', cacheControl)
    .send(result.stream);
}

/** Registers the UI routes. */
export function uiRoutes(app: AccordApp, deps: UiRoutesDeps): void {
  const missing = () =>
    new AccordError(
      'NOT_FOUND',
      `the web UI is not built (no ${join(deps.root, 'index.html')}): run \`npm run build\``,
    );
  const redirect = {
    schema: {
      summary: 'Redirects to the web UI',
      response: replies({ 302: UiRedirectReplySchema }, ANY_ROUTE),
    },
  };
  const toUi = async (_request: unknown, reply: FastifyReply) =>
    secure(reply).redirect('/ui/', 302);
  app.get('/', redirect, toUi);
  app.get('/ui', redirect, toUi);

  app.get(
    '/ui/',
    {
      schema: {
        summary: 'The web UI (sign in with a token)',
        response: replies({ 200: UiPageReplySchema }, [...ANY_ROUTE, 'NOT_FOUND']),
      },
    },
    async (request, reply) => {
      if (!existsSync(join(deps.root, 'index.html'))) throw missing();
      return sendUiFile(request, reply, deps.root, '/index.html', 'no-cache');
    },
  );

  app.get(
    '/ui/assets/:file',
    {
      schema: {
        summary: 'A script, style or image of the web UI',
        params: UiAssetParamsSchema,
        response: replies({ 200: UiAssetReplySchema }, [...ANY_ROUTE, 'NOT_FOUND']),
      },
    },
    async (request, reply) => {
      const { file } = request.params;
      if (!existsSync(join(deps.root, 'assets', file))) {
        throw new AccordError('NOT_FOUND', `no UI asset ${file}`);
      }
      // Built asset names carry a content hash: a name always means the same bytes.
      return sendUiFile(
        request,
        reply,
        deps.root,
        `/assets/${file}`,
        'public, max-age=31536000, immutable',
      );
    },
  );
}
