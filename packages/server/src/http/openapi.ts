/**
 * The OpenAPI 3.1 document of the API (`GET /openapi.json`), generated from the routes the
 * app registers and their schemas (@accord/core/schemas): path and query parameters,
 * request bodies and every reply, errors included. A schema with a `title` becomes a
 * component and is referenced wherever it appears, so the error shape is written once.
 *
 * OpenAPI 3.1 takes JSON Schema as it is, so the route schemas go in unchanged; what
 * the document adds comes from route options: `config.role` (auth), `config.optionalBody`,
 * `schema.summary`, `schema.consumes` (the body's media types), and on a reply schema its `description`, `x-error-codes` and
 * `contentMediaType` (see replies.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Role } from './auth.js';

declare module 'fastify' {
  interface FastifySchema {
    /** One line on the route in the OpenAPI document. */
    summary?: string;
    /** Media types of the request body; `application/json` when not given. */
    consumes?: readonly string[];
  }
  interface FastifyContextConfig {
    /** The token the route takes (set by `requireRole`); none: open to all. */
    role?: Role;
    /** The body may be left out. */
    optionalBody?: boolean;
  }
}

/** The document's fixed parts. */
const INFO = {
  title: 'Accord coordinator API',
  version: '1',
  description:
    'Sagas, TCC, XA, two-phase messages and best-effort notifications (`/v1`), the ' +
    'DTM-compatible API (`/api`, docs/dtm-compat.md) and TCC for REST (`/tcc`, ' +
    'docs/tcc-rest.md). See docs/protocol.md.',
};

type Json = Record<string, unknown>;

/** A route as the document sees it. */
export interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: Json | undefined;
  readonly role: Role | undefined;
  readonly optionalBody: boolean;
}

/**
 * Records the routes `app` declares from now on (call it before declaring any) and
 * returns the function that builds the document, once, on first use.
 *
 * @example
 * const openapi = recordOpenapi(app);
 * app.get('/openapi.json', () => openapi());
 */
export function recordOpenapi(app: FastifyInstance): () => Json {
  const routes: DocumentedRoute[] = [];
  app.addHook('onRoute', (route) => {
    // The HEAD route Fastify adds for each GET answers like it, without a body.
    if (route.method === 'HEAD') return;
    for (const method of [route.method].flat()) {
      routes.push({
        method,
        url: route.url,
        schema: route.schema as Json | undefined,
        role: route.config?.role,
        optionalBody: route.config?.optionalBody === true,
      });
    }
  });
  let document: Json | undefined;
  return () => (document ??= openapiDocument(routes));
}

/** `/v1/transactions/:gid` as an OpenAPI path, `/v1/transactions/{gid}`. */
export function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Turns schemas into document parts, collecting every titled one as a component. */
class SchemaEmitter {
  readonly components: Record<string, Json> = {};
  private readonly texts = new Map<string, string>();

  /** `schema` (symbols dropped), a titled one as a reference to its component. */
  emit(schema: unknown): Json {
    return this.walk(JSON.parse(JSON.stringify(schema)) as unknown) as Json;
  }

  private walk(node: unknown, isComponent = false): unknown {
    if (Array.isArray(node)) return node.map((item) => this.walk(item));
    if (node === null || typeof node !== 'object') return node;
    const title = (node as Json)['title'];
    if (typeof title === 'string' && !isComponent) return this.reference(title, node as Json);
    return Object.fromEntries(
      Object.entries(node as Json).map(([key, value]) => [key, this.walk(value)]),
    );
  }

  private reference(title: string, node: Json): Json {
    const text = JSON.stringify(node);
    const seen = this.texts.get(title);
    if (seen === undefined) {
      this.texts.set(title, text);
      this.components[title] = this.walk(node, true) as Json;
    } else if (seen !== text) {
      throw new Error(`two different schemas are titled ${title}`);
    }
    return { $ref: `#/components/schemas/${title}` };
  }
}

function operationId(method: string, url: string): string {
  const words = url.split(/[/:{}_.-]+/).filter((w) => w !== '');
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function parameters(emitter: SchemaEmitter, schema: Json | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const object = emitter.emit(schema);
  const required = new Set((object['required'] as string[] | undefined) ?? []);
  const properties = (object['properties'] ?? {}) as Record<string, Json>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}

function statusText(status: string): string {
  return status === '201' ? 'Created' : status.startsWith('2') ? 'OK' : 'Error';
}

function responses(emitter: SchemaEmitter, schema: Json | undefined): Json {
  const out: Json = {};
  for (const [status, reply] of Object.entries((schema ?? {}) as Record<string, Json>)) {
    const { description, 'x-error-codes': codes, ...rest } = reply;
    const mediaType =
      typeof rest['contentMediaType'] === 'string' ? rest['contentMediaType'] : 'application/json';
    out[status] = {
      description: typeof description === 'string' ? description : statusText(status),
      content: { [mediaType]: { schema: emitter.emit(rest) } },
      ...(codes !== undefined && { 'x-error-codes': codes }),
    };
  }
  return out;
}

function operation(emitter: SchemaEmitter, route: DocumentedRoute): Json {
  const schema = route.schema ?? {};
  const params = [
    ...parameters(emitter, schema['params'] as Json | undefined, 'path'),
    ...parameters(emitter, schema['querystring'] as Json | undefined, 'query'),
  ];
  const body = schema['body'];
  const consumes = (schema['consumes'] as string[] | undefined) ?? ['application/json'];
  return {
    operationId: operationId(route.method, route.url),
    ...(typeof schema['summary'] === 'string' && { summary: schema['summary'] }),
    ...(route.role === 'admin' && { description: 'Needs the admin token.' }),
    security: route.role === undefined ? [] : [{ bearer: [] }],
    ...(params.length > 0 && { parameters: params }),
    ...(body !== undefined && {
      requestBody: {
        required: !route.optionalBody,
        content: Object.fromEntries(consumes.map((type) => [type, { schema: emitter.emit(body) }])),
      },
    }),
    responses: responses(emitter, schema['response'] as Json | undefined),
  };
}

/** The OpenAPI 3.1 document of `routes`. */
export function openapiDocument(routes: readonly DocumentedRoute[]): Json {
  const emitter = new SchemaEmitter();
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = (paths[openapiPath(route.url)] ??= {});
    path[route.method.toLowerCase()] = operation(emitter, route);
  }
  return {
    openapi: '3.1.0',
    info: INFO,
    paths,
    components: {
      schemas: emitter.components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
