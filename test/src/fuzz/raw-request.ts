/**
 * A request as bytes on the wire: the fuzzer builds these itself, so duplicate keys,
 * invalid UTF-8, bad percent-encoding and wrong content types can all be sent.
 */
import type { ApiRoute } from './api-routes.js';

/** One request to send. */
export interface RawRequest {
  readonly method: string;
  /** Path and query string, exactly as sent. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** What was done to it (`valid` when nothing hostile was). */
  readonly kind: string;
}

/** A request before it is written out: the route and the values of each of its parts. */
export interface RequestDraft {
  route: ApiRoute;
  method: string;
  /** Path parameters, each already percent-encoded (or deliberately not). */
  params: Record<string, string>;
  /** Query string pairs, each already encoded. */
  query: Array<[string, string]>;
  /** JSON body as text, or bytes when the text is not what is sent. */
  body: string | Buffer | undefined;
  headers: Record<string, string>;
  path?: string;
}

/**
 * Percent-encodes a value (JSON unless a string) for a path segment or a query value,
 * byte by byte of its UTF-8, so a lone surrogate goes out as U+FFFD.
 */
export function encodeValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Writes a draft out as a raw request. */
export function render(draft: RequestDraft, kind: string): RawRequest {
  const path =
    draft.path ??
    draft.route.path.replace(/\{(\w+)\}/g, (_, name: string) => draft.params[name] ?? '');
  const query = draft.query.map(([k, v]) => `${k}=${v}`).join('&');
  // A GET carries no body (the HTTP client refuses to send one).
  const text = draft.method === 'GET' ? undefined : draft.body;
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return {
    method: draft.method,
    path: query === '' ? path : `${path}?${query}`,
    headers: draft.headers,
    body,
    kind,
  };
}
