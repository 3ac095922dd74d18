/**
 * What every reply must be: never a 5xx; a status the document lists for the route (or,
 * for a path or method no route has, NOT_FOUND); a body that follows the documented
 * schema of that status; an error in the one error shape with a code that maps to the
 * status and that the route documents.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ApiRoute, Json } from './api-routes.js';
import { routeOf } from './api-routes.js';
import type { RawRequest } from './raw-request.js';

/** Node's limit on the request line and headers together (`--max-http-header-size`). */
const MAX_HEADER_SIZE = 16 * 1024;

/** Bytes of the request line and headers, about. */
function headSize(request: RawRequest): number {
  const headers = Object.entries(request.headers).reduce(
    (n, [k, v]) => n + k.length + v.length + 4,
    0,
  );
  return request.method.length + request.path.length + headers + 12;
}

/** A reply as received. */
export interface RawReply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** Statuses of the error codes (the server's mapping). */
export type StatusOf = (code: string) => number | undefined;

/** Rewrites `#/components/schemas/X` to an id Ajv knows the component by. */
function localRefs(schema: unknown): unknown {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components:'),
  ) as unknown;
}

/** Checks replies against one OpenAPI document. */
export class ContractCheck {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false });
  private readonly validators = new Map<Json, ValidateFunction>();
  private readonly errorSchema: ValidateFunction;

  constructor(
    document: Json,
    private readonly routes: readonly ApiRoute[],
    private readonly statusOf: StatusOf,
  ) {
    addFormats.default(this.ajv);
    const components = (document['components'] as { schemas: Record<string, Json> }).schemas;
    for (const [name, schema] of Object.entries(components)) {
      this.ajv.addSchema(localRefs(schema) as Json, `components:${name}`);
    }
    this.errorSchema = this.ajv.compile({ $ref: 'components:Error' });
  }

  private validator(schema: Json): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(localRefs(schema) as Json);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  /** What is wrong with `reply` to `request`, or null. */
  problem(request: RawRequest, reply: RawReply): string | null {
    if (reply.status >= 500) return `answered ${reply.status}`;
    const route = routeOf(this.routes, request.method, request.path);
    if (reply.status === 431 && headSize(request) > MAX_HEADER_SIZE) {
      return this.errorProblem(reply, ['HEADERS_TOO_LARGE']);
    }
    if (!route) {
      if (![400, 404].includes(reply.status)) return `no route, yet answered ${reply.status}`;
      return this.errorProblem(reply, ['NOT_FOUND', 'INVALID_REQUEST']);
    }
    const documented = route.replies.get(reply.status);
    if (!documented) return `${reply.status} is not documented for ${route.method} ${route.path}`;
    // The one error shape carries a code; DTM's error answers and TCC for REST's link
    // outcomes have their own shapes, checked like any reply against their schema.
    if (documented.schema['$ref'] === '#/components/schemas/Error') {
      return this.errorProblem(reply, documented.codes);
    }
    if (reply.status === 204) return reply.text === '' ? null : 'a 204 with a body';
    if (!documented.schema['contentMediaType']) {
      const validate = this.validator(documented.schema);
      if (!validate(JSON.parse(reply.text))) {
        return `reply does not follow its schema: ${this.ajv.errorsText(validate.errors)}`;
      }
    }
    return null;
  }

  private errorProblem(reply: RawReply, codes: readonly string[]): string | null {
    if (!reply.contentType.startsWith('application/json')) {
      return `error reply of type ${reply.contentType}`;
    }
    const body = JSON.parse(reply.text) as { error?: { code?: string } };
    if (!this.errorSchema(body)) {
      return `error reply not in the error shape: ${this.ajv.errorsText(this.errorSchema.errors)}`;
    }
    const code = body.error?.code ?? '';
    if (this.statusOf(code) !== reply.status) return `${code} answered with ${reply.status}`;
    if (!codes.includes(code)) return `${code} is not documented for ${reply.status}`;
    return null;
  }
}
