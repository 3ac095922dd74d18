/**
 * DTM's JSON-RPC 2.0 endpoint, `POST /api/json-rpc`: the methods DTM's SDKs call when
 * their protocol is `jsonrpc` (`newGid`, `prepare`, `submit`, `abort`,
 * `registerBranch`), with the params they send (the same bodies as the HTTP API). The
 * methods run the same {@link DtmService} as `/api/dtmsvr`, under the same role.
 *
 * Answers are `{ jsonrpc, id, result }` or `{ jsonrpc, id, error: { code, message,
 * data: { code } } }` with status 200; errors before a method runs (auth, body size,
 * media type) keep their HTTP status. Codes are DTM's: -32901 failure, -32902 ongoing,
 * and JSON-RPC's own for parse (-32700), request (-32600), method (-32601), params
 * (-32602) and internal (-32603) errors.
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '@accord/core';
import { AccordError, ValidationError } from '@accord/core';
import { JsonRpcReplySchema, JsonRpcRequestSchema } from '@accord/core/schemas';
import { requireRole, type Authorizer } from '../auth.js';
import { toErrorReply } from '../error-mapping.js';
import { CLIENT_ROUTE, errorReplies, WITH_BODY } from '../replies.js';
import type { DtmTransBody } from './dtm-body.js';
import type { DtmService } from './dtm-service.js';

/** JSON-RPC error codes of the endpoint. */
export const JSON_RPC_CODES = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** Implementation-defined: refused before any method ran (auth, limits). */
  refused: -32000,
  /** DTM's: the action was refused (dtm_result FAILURE). */
  failure: -32901,
  /** DTM's: not finished yet (dtm_result ONGOING). */
  ongoing: -32902,
} as const;

/** The error member of a JSON-RPC answer. */
export interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data?: { readonly code: string; readonly issues?: unknown };
}

/** What the endpoint needs. */
export interface DtmJsonRpcDeps {
  readonly service: DtmService;
  readonly authorize: Authorizer;
}

/** A method: the call's params and the HTTP request's headers (for its trace context). */
type Method = (
  params: unknown,
  headers: Readonly<Record<string, string | string[] | undefined>>,
) => Promise<unknown>;

class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function paramsObject(params: unknown): DtmTransBody {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new RpcFault(JSON_RPC_CODES.invalidParams, 'params must be an object');
  }
  return params as DtmTransBody;
}

function methods(service: DtmService): Readonly<Record<string, Method>> {
  return {
    newGid: async () => ({ gid: service.newGid() }),
    // DTM answers a null result to the actions; the error member carries refusals.
    prepare: async (p, headers) => (await service.prepare(paramsObject(p), headers), null),
    submit: async (p, headers) => (await service.submit(paramsObject(p), headers), null),
    abort: async (p) => (await service.abort(paramsObject(p)), null),
    registerBranch: async (p) => (await service.register(paramsObject(p)), null),
  };
}

/** The JSON-RPC error for an error a method threw. */
export function jsonRpcErrorOf(error: unknown): JsonRpcError {
  if (error instanceof RpcFault) return { code: error.code, message: error.message };
  if (error instanceof ValidationError) {
    const message = error.issues.map((i) => `${i.path || '(params)'}: ${i.message}`).join('; ');
    return {
      code: JSON_RPC_CODES.invalidParams,
      message,
      data: { code: error.code, issues: error.issues },
    };
  }
  const { status, body } = toErrorReply(error);
  const data = { code: body.error.code };
  if (status === 425) return { code: JSON_RPC_CODES.ongoing, message: body.error.message, data };
  // Refusals and state conflicts, and an unknown gid, are DTM failures.
  if (status === 409 || status === 404) {
    return { code: JSON_RPC_CODES.failure, message: body.error.message, data };
  }
  return { code: JSON_RPC_CODES.internal, message: body.error.message, data };
}

/** The error for a request the parser or a hook refused, and the HTTP status to send. */
function refusal(error: unknown): { status: number; error: JsonRpcError } {
  const { status, body } = toErrorReply(error);
  const unparsable =
    status === 400 ||
    (error instanceof AccordError && error.code === 'INVALID_REQUEST') ||
    error instanceof SyntaxError;
  if (unparsable) {
    return {
      status: 200,
      error: { code: JSON_RPC_CODES.parse, message: `parse error: ${body.error.message}` },
    };
  }
  const data = { code: body.error.code };
  return { status, error: { code: JSON_RPC_CODES.refused, message: body.error.message, data } };
}

function idOf(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null)?.id;
  return (typeof id === 'string' && id !== '') || typeof id === 'number' ? id : null;
}

/**
 * The response schemas: a JSON-RPC answer with 200 (results, and errors of the methods,
 * invalid input included), and the same shape with the HTTP status of a refusal that
 * came before any method ran, its codes in `x-error-codes`.
 */
function jsonRpcReplies(codes: readonly ErrorCode[]) {
  return { 200: JsonRpcReplySchema, ...errorReplies(codes, () => JsonRpcReplySchema) };
}

/** Registers `POST /api/json-rpc` in its own scope. */
export function dtmJsonRpcRoutes(app: FastifyInstance, deps: DtmJsonRpcDeps): void {
  const table = methods(deps.service);
  void app.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const { status, error: rpc } = refusal(error);
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
      return reply.code(status).send({ jsonrpc: '2.0', id: null, error: rpc });
    });

    scope.post(
      '/api/json-rpc',
      {
        ...requireRole(deps.authorize, 'client'),
        schema: {
          summary: "DTM's JSON-RPC 2.0 endpoint",
          body: JsonRpcRequestSchema,
          response: jsonRpcReplies(
            [...CLIENT_ROUTE, ...WITH_BODY].filter((code) => code !== 'INVALID_REQUEST'),
          ),
        },
      },
      async (request) => {
        const body = request.body as Record<string, unknown> | null;
        const id = idOf(body);
        try {
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new RpcFault(JSON_RPC_CODES.invalidRequest, 'the request must be one object');
          }
          if (body['jsonrpc'] !== '2.0' || id === null) {
            throw new RpcFault(
              JSON_RPC_CODES.invalidRequest,
              'the request needs "jsonrpc": "2.0" and an "id" (string or number)',
            );
          }
          const name = body['method'];
          const method = typeof name === 'string' ? table[name] : undefined;
          if (method === undefined || !Object.hasOwn(table, name as string)) {
            throw new RpcFault(
              JSON_RPC_CODES.methodNotFound,
              `method not found: ${String(name).slice(0, 64)}`,
            );
          }
          return { jsonrpc: '2.0', id, result: await method(body['params'], request.headers) };
        } catch (error) {
          const rpc = jsonRpcErrorOf(error);
          if (rpc.code === JSON_RPC_CODES.internal) {
            request.log.error({ err: error, url: request.url }, 'json-rpc method failed');
          }
          return { jsonrpc: '2.0', id, error: rpc };
        }
      },
    );
  });
}
