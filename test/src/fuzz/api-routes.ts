/**
 * The routes to fuzz, read from the coordinator's own OpenAPI document: their parameters,
 * request bodies and documented replies (schema and error codes per status).
 */

/** A JSON Schema or any other JSON object of the document. */
export type Json = Record<string, unknown>;

/** One documented reply. */
export interface DocumentedReply {
  readonly schema: Json;
  /** Codes an error reply of this status may carry (`x-error-codes`). */
  readonly codes: readonly string[];
}

/** One query or path parameter. */
export interface Parameter {
  readonly name: string;
  readonly required: boolean;
  readonly schema: Json;
}

/** One operation of the API. */
export interface ApiRoute {
  readonly method: string;
  /** OpenAPI path, e.g. `/v1/transactions/{gid}`. */
  readonly path: string;
  readonly pathParams: readonly Parameter[];
  readonly query: readonly Parameter[];
  readonly body:
    { readonly schema: Json; readonly required: boolean; readonly mediaType: string } | undefined;
  readonly replies: ReadonlyMap<number, DocumentedReply>;
  /** Whether the route takes a token, and which. */
  readonly role: 'none' | 'client' | 'admin';
}

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: Json }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: Json }>; 'x-error-codes'?: string[] }
  >;
  security?: unknown[];
  description?: string;
}

/** The operations of an OpenAPI document. */
export function apiRoutes(document: Json): ApiRoute[] {
  const paths = document['paths'] as Record<string, Record<string, Operation>>;
  const routes: ApiRoute[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = (where: string): Parameter[] =>
        (op.parameters ?? [])
          .filter((p) => p.in === where)
          .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema }));
      const replies = new Map<number, DocumentedReply>();
      for (const [status, reply] of Object.entries(op.responses)) {
        const schema = Object.values(reply.content ?? {})[0]?.schema ?? {};
        replies.set(Number(status), { schema, codes: reply['x-error-codes'] ?? [] });
      }
      const [mediaType, body] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: params('path'),
        query: params('query'),
        body: body && {
          schema: body.schema,
          required: op.requestBody?.required === true,
          mediaType: mediaType!,
        },
        replies,
        role:
          (op.security ?? []).length === 0
            ? 'none'
            : op.description?.includes('admin')
              ? 'admin'
              : 'client',
      });
    }
  }
  return routes;
}

/**
 * The route a request path and method reach, matching `{param}` to one segment; a path
 * given raw (percent-encoded) is matched segment by segment as sent. As the server's
 * router does, an empty last segment reaches a route that ends in a parameter when no
 * route has the path without it.
 */
export function routeOf(
  routes: readonly ApiRoute[],
  method: string,
  path: string,
): ApiRoute | undefined {
  const segments = path.split('?')[0]!.split('/');
  const exact = match(routes, method, segments, false);
  if (exact || segments.at(-1) !== '') return exact;
  const trimmed = segments.slice(0, -1).join('/');
  if (routes.some((route) => route.method === method && route.path === trimmed)) return undefined;
  return match(routes, method, segments, true);
}

function match(
  routes: readonly ApiRoute[],
  method: string,
  segments: readonly string[],
  emptyLast: boolean,
): ApiRoute | undefined {
  return routes.find((route) => {
    if (route.method !== method) return false;
    const template = route.path.split('/');
    return (
      template.length === segments.length &&
      template.every((part, i) =>
        part.startsWith('{')
          ? segments[i] !== '' || (emptyLast && i === segments.length - 1)
          : part === segments[i],
      )
    );
  });
}
