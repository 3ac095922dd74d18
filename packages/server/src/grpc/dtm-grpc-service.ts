/**
 * The handlers of DTM's gRPC service: each request is translated into DTM's HTTP body
 * (targets get their `grpc://` scheme, binary payloads are kept as base64), then runs
 * through the same translation (dtm-body.ts), checks and engine operations
 * (dtm-operations.ts) as the HTTP routes. Errors become the gRPC statuses DTM's SDKs
 * read: ABORTED for a refusal, FAILED_PRECONDITION for "not finished".
 */
import { ValidationError } from '@accord/core';
import type { Engine } from '../engine/engine.js';
import type { Authorizer, Role } from '../http/auth.js';
import type { CreateContext } from '../http/create-request.js';
import type { DtmCreate, DtmTransBody } from '../http/dtm/dtm-body.js';
import { toDtmCreate } from '../http/dtm/dtm-body.js';
import { dtmAbort, dtmPrepare, dtmRegister, dtmSubmit } from '../http/dtm/dtm-operations.js';
import { dtmErrorReply, waitedReply } from '../http/dtm/dtm-reply.js';
import { fromDtmGrpcTarget } from '../outbound/grpc-target.js';
import type { DtmBranchRequestMessage, DtmRequestMessage } from './dtm-proto.js';

/** What the service needs. */
export interface DtmGrpcDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly authorize: Authorizer;
  readonly waitResultCapMs: number;
  readonly maxSteps: number;
  /** Told of requests that failed for a reason of the server's own (status ≥ 500). */
  readonly onInternalError?: (error: unknown, method: string) => void;
}

/** A gRPC status to answer with. */
export interface GrpcFailure {
  readonly code: number;
  readonly details: string;
}

/** gRPC status codes, by the HTTP status of the same error. */
const BY_HTTP_STATUS: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  409: 10, // ABORTED: DTM's FAILURE
  413: 8, // RESOURCE_EXHAUSTED
  425: 9, // FAILED_PRECONDITION: DTM's ONGOING
  429: 8, // RESOURCE_EXHAUSTED
  503: 14, // UNAVAILABLE
};
const INTERNAL = 13;

/** Maps any error to the gRPC status DTM's SDKs expect, keeping the HTTP API's meaning. */
export function grpcFailureOf(error: unknown): GrpcFailure & { readonly httpStatus: number } {
  const { status, body } = dtmErrorReply(error);
  const details = typeof body['message'] === 'string' ? body['message'] : 'request failed';
  return { code: BY_HTTP_STATUS[status] ?? INTERNAL, details, httpStatus: status };
}

/** Reads DTM's `Steps` (a JSON text of `{ action, compensate }` objects) with gRPC targets. */
function stepsOf(text: string): unknown {
  if (text === '' || text === 'null') return undefined;
  let steps: unknown;
  try {
    steps = JSON.parse(text);
  } catch {
    throw new ValidationError([{ path: '/Steps', message: 'must be a JSON list of steps' }]);
  }
  if (!Array.isArray(steps)) return steps; // toDtmCreate reports it
  return steps.map((step: unknown) => {
    if (typeof step !== 'object' || step === null) return step;
    const out: Record<string, unknown> = { ...step };
    for (const key of ['action', 'compensate']) {
      if (typeof out[key] === 'string') out[key] = fromDtmGrpcTarget(out[key]);
    }
    return out;
  });
}

/** A `DtmRequest` as DTM's HTTP body (zeros are "unset", as in DTM). */
export function dtmBodyOf(request: DtmRequestMessage): DtmTransBody {
  const options = request.TransOptions;
  const positive = (n: number | undefined) => (n ? n : undefined);
  return {
    gid: request.Gid,
    trans_type: request.TransType,
    steps: stepsOf(request.Steps),
    payloads: request.BinPayloads.map((bytes) => Buffer.from(bytes).toString('base64')),
    custom_data: request.CustomedData || undefined,
    query_prepared: request.QueryPrepared ? fromDtmGrpcTarget(request.QueryPrepared) : undefined,
    wait_result: options?.WaitResult === true,
    timeout_to_fail: positive(options?.TimeoutToFail),
    request_timeout: positive(options?.RequestTimeout),
    retry_interval: positive(options?.RetryInterval),
    retry_limit: positive(options?.RetryLimit),
    branch_headers: options?.BranchHeaders ?? {},
    rollback_reason: request.RollbackReason || undefined,
  };
}

/** The handlers, by method name; each resolves with the reply or rejects. */
export function dtmGrpcHandlers(deps: DtmGrpcDeps) {
  const translate = (request: DtmRequestMessage): DtmCreate => {
    const body = dtmBodyOf(request);
    if (Array.isArray(body.steps) && body.steps.length > deps.maxSteps) {
      throw new ValidationError([
        { path: '/Steps', message: `must have at most ${deps.maxSteps} steps` },
      ]);
    }
    const dtm = toDtmCreate(body, deps.create.config.defaults.retry.maxDelayMs);
    return { ...dtm, binary: true };
  };
  return {
    NewGid: async () => ({ Gid: deps.create.newGid() }),
    Prepare: async (request: DtmRequestMessage) => {
      await dtmPrepare(deps, translate(request));
      return {};
    },
    Submit: async (request: DtmRequestMessage) => {
      const dtm = translate(request);
      const snapshot = await dtmSubmit(deps, dtm, dtm.waitResult ? deps.waitResultCapMs : null);
      if (dtm.waitResult) waitedReply(snapshot, 'succeeded');
      return {};
    },
    Abort: async (request: DtmRequestMessage) => {
      if (request.Gid === '') throw new ValidationError([{ path: '/Gid', message: 'is required' }]);
      const waitResult = request.TransOptions?.WaitResult === true;
      const waitMs = waitResult ? deps.waitResultCapMs : null;
      const snapshot = await dtmAbort(deps, request.Gid, request.RollbackReason, waitMs);
      if (waitResult) waitedReply(snapshot, 'failed');
      return {};
    },
    RegisterBranch: async (request: DtmBranchRequestMessage) => {
      if (request.Gid === '') throw new ValidationError([{ path: '/Gid', message: 'is required' }]);
      const fields: Record<string, string> = { ...request.Data, branch_id: request.BranchID };
      for (const key of ['confirm', 'cancel', 'commit', 'rollback', 'url']) {
        if (fields[key] !== undefined) fields[key] = fromDtmGrpcTarget(fields[key]);
      }
      await dtmRegister(deps, { gid: request.Gid, fields, payload: request.BusiPayload });
      return {};
    },
  } satisfies Record<string, (request: never) => Promise<object>>;
}

/** The role each implemented method needs. */
export const DTM_GRPC_ROLES: Readonly<Record<keyof ReturnType<typeof dtmGrpcHandlers>, Role>> = {
  NewGid: 'client',
  Prepare: 'client',
  Submit: 'client',
  Abort: 'client',
  RegisterBranch: 'client',
};
