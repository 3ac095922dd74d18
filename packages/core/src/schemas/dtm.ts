/**
 * The DTM-compatible API (`/api/dtmsvr/*`, `/api/ping`): DTM's own messages, snake_case
 * and loosely typed as DTM's SDKs send them, and DTM's answers (`dtm_result`). The routes
 * validate with these schemas; what a schema cannot say (`custom_data` is JSON in text, a
 * step's `orders`, the workflow mode) the translation in the server checks after.
 *
 * A new DTM route puts its request and reply schemas here, and its error replies come from
 * the server's `dtmReplies` (the OpenAPI test fails for a route without them).
 */
import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { MODES } from '../protocol.js';
import { GidField, stringEnum, stringMap, UrlField } from './common.js';

/** DTM sends objects with fields Accord does not read (`protocol`, `ext_data`, …): kept open. */
const OPEN = { additionalProperties: true } as const;

/** A value or `null` (Go's nil slices and maps). */
function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/**
 * The largest value of DTM's fields in seconds (and of `retry_limit`): the native limits
 * of the options they become (`timeoutMs`, `requestTimeoutMs`, `retry.firstDelayMs`,
 * `retry.maxAttempts`).
 */
export const DTM_LIMITS = {
  timeout_to_fail: 2_592_000,
  request_timeout: 600,
  retry_interval: 3_600,
  retry_limit: 1_000_000,
} as const;

/** A duration in whole seconds up to `maximum`; 0 or null: the default. */
function seconds(maximum: number) {
  return nullable(Type.Integer({ minimum: 0, maximum }));
}

/**
 * A DTM gid (from `newGid`, or the client's own), under the native rules: a DTM
 * transaction is listed and shown by the native API too.
 */
const DtmGid = GidField;

/**
 * The transaction body of `prepare`, `submit` and `abort` (DTM's `TransGlobal`), at most
 * `maxSteps` steps.
 */
export function dtmTransBodySchema(maxSteps: number) {
  return Type.Object(
    {
      gid: DtmGid,
      trans_type: Type.Optional(
        Type.String({ maxLength: 32, description: 'saga, tcc, xa or msg' }),
      ),
      steps: Type.Optional(
        nullable(
          Type.Array(
            Type.Object(
              { action: UrlField, compensate: Type.Optional(Type.String({ maxLength: 2048 })) },
              { additionalProperties: Type.String() },
            ),
            { maxItems: maxSteps },
          ),
        ),
      ),
      payloads: Type.Optional(nullable(Type.Array(Type.String(), { maxItems: maxSteps }))),
      custom_data: Type.Optional(
        Type.String({ description: 'JSON in text: `concurrent`, `orders`' }),
      ),
      query_prepared: Type.Optional(Type.String({ maxLength: 2048 })),
      wait_result: Type.Optional(Type.Boolean()),
      timeout_to_fail: Type.Optional(seconds(DTM_LIMITS.timeout_to_fail)),
      request_timeout: Type.Optional(seconds(DTM_LIMITS.request_timeout)),
      retry_interval: Type.Optional(seconds(DTM_LIMITS.retry_interval)),
      retry_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: DTM_LIMITS.retry_limit })),
      branch_headers: Type.Optional(nullable(stringMap(Type.String({ maxLength: 1024 }), 32))),
      rollback_reason: Type.Optional(Type.String({ maxLength: 1024 })),
      concurrent: Type.Optional(Type.Boolean()),
    },
    OPEN,
  );
}
/** The transaction body of `prepare`, `submit` and `abort`. */
export type DtmTransRequest = Static<ReturnType<typeof dtmTransBodySchema>>;

/**
 * The body of `registerBranch` (and its aliases): string fields only. tcc gives
 * `confirm` and `cancel`, xa one `url` for both phase-two ops; `data` is the payload.
 */
export const DtmRegisterBodySchema = Type.Object(
  {
    gid: DtmGid,
    branch_id: Type.String({ minLength: 1, maxLength: 64 }),
    trans_type: Type.Optional(Type.String()),
    confirm: Type.Optional(Type.String()),
    cancel: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    data: Type.Optional(Type.String()),
  },
  { additionalProperties: Type.String(), maxProperties: 32 },
);
/** The body of `registerBranch`. */
export type DtmRegisterRequest = Static<typeof DtmRegisterBodySchema>;

/** A body naming a transaction: `forceStop`. */
export const DtmGidBodySchema = Type.Object({ gid: DtmGid }, OPEN);

/** Query string of `query`. */
export const DtmQueryQuerySchema = Type.Object({ gid: DtmGid }, OPEN);

/** Query string of `all`: the listing's filters, as DTM names them (all text). */
export const DtmAllQuerySchema = Type.Object(
  {
    gid: Type.Optional(Type.String({ maxLength: 128 })),
    position: Type.Optional(Type.String({ maxLength: 512, description: 'next_position' })),
    limit: Type.Optional(Type.String({ maxLength: 8, description: '1 to 500, default 100' })),
    status: Type.Optional(Type.String({ maxLength: 32, description: 'a DTM status word' })),
    transType: Type.Optional(Type.String({ maxLength: 32 })),
    createTimeStart: Type.Optional(Type.String({ maxLength: 32, description: 'epoch ms' })),
    createTimeEnd: Type.Optional(Type.String({ maxLength: 32, description: 'epoch ms' })),
  },
  OPEN,
);

/** DTM's success answer. */
export const DtmSuccessSchema = Type.Object(
  { dtm_result: Type.Literal('SUCCESS') },
  { additionalProperties: false, title: 'DtmSuccess' },
);

/** A refusal or any error below 500 (400 invalid input, 401, 404, 409 conflict, …). */
export const DtmFailureSchema = Type.Object(
  { dtm_result: Type.Literal('FAILURE'), message: Type.String() },
  { additionalProperties: false, title: 'DtmFailure' },
);

/** Not finished yet (425). */
export const DtmOngoingSchema = Type.Object(
  { dtm_result: Type.Literal('ONGOING'), message: Type.String() },
  { additionalProperties: false, title: 'DtmOngoing' },
);

/** A fault of the coordinator (5xx): a message only, so no client reads it as a refusal. */
export const DtmFaultSchema = Type.Object(
  { message: Type.String() },
  { additionalProperties: false, title: 'DtmFault' },
);

/** Answer of `newGid`. */
export const DtmNewGidSchema = Type.Object(
  { gid: Type.String(), dtm_result: Type.Literal('SUCCESS') },
  { additionalProperties: false },
);

/** Answer of `/api/ping`. */
export const DtmPingSchema = Type.Object(
  { msg: Type.Literal('pong') },
  { additionalProperties: false },
);

/** Answer of `version`. */
export const DtmVersionSchema = Type.Object(
  { version: Type.String() },
  { additionalProperties: false },
);

/** DTM's word for a global status (named, so reports show it in one order). */
export type DtmGlobalStatus = 'prepared' | 'submitted' | 'aborting' | 'succeed' | 'failed';
const GLOBAL_STATUSES: readonly DtmGlobalStatus[] = [
  'prepared',
  'submitted',
  'aborting',
  'succeed',
  'failed',
];

/** DTM's word for a branch status. */
export type DtmBranchStatus = 'prepared' | 'succeed' | 'failed';
const BRANCH_STATUSES: readonly DtmBranchStatus[] = ['prepared', 'succeed', 'failed'];

const Time = Type.String({ format: 'date-time' });

/** A transaction as DTM's `query` and `all` show it (seconds, DTM's status words). */
export const DtmTransactionSchema = Type.Object(
  {
    gid: Type.String(),
    trans_type: stringEnum(MODES),
    status: stringEnum<readonly DtmGlobalStatus[]>(GLOBAL_STATUSES),
    steps: Type.Optional(
      Type.Array(
        Type.Object(
          { action: Type.String(), compensate: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ),
    ),
    payloads: Type.Optional(Type.Array(Type.String())),
    query_prepared: Type.Optional(Type.String()),
    protocol: Type.Literal('http'),
    create_time: Type.Optional(Time),
    update_time: Type.Optional(Time),
    finish_time: Type.Optional(Time),
    rollback_time: Type.Optional(Time),
    rollback_reason: Type.Optional(Type.String()),
    custom_data: Type.Optional(Type.String()),
    next_cron_time: Type.Optional(Time),
    owner: Type.Optional(Type.String()),
    timeout_to_fail: Type.Optional(Type.Number()),
    request_timeout: Type.Number(),
    retry_interval: Type.Number(),
    retry_limit: Type.Integer(),
    branch_headers: Type.Optional(stringMap(Type.String(), 64)),
    concurrent: Type.Boolean(),
    parked: Type.Boolean(),
  },
  { additionalProperties: false, title: 'DtmTransaction' },
);
/** A transaction as DTM shows it. */
export type DtmTransaction = Static<typeof DtmTransactionSchema>;

/** One branch op as DTM's branch row (`bin_data` in base64). */
export const DtmBranchSchema = Type.Object(
  {
    gid: Type.String(),
    url: Type.String(),
    bin_data: Type.Optional(Type.String({ contentEncoding: 'base64' })),
    branch_id: Type.String(),
    op: Type.String(),
    status: stringEnum<readonly DtmBranchStatus[]>(BRANCH_STATUSES),
    update_time: Type.Optional(Time),
    finish_time: Type.Optional(Time),
    rollback_time: Type.Optional(Time),
  },
  { additionalProperties: false, title: 'DtmBranch' },
);
/** One branch row as DTM shows it. */
export type DtmBranch = Static<typeof DtmBranchSchema>;

/** Answer of `query`: `transaction` null when there is none. */
export const DtmQueryReplySchema = Type.Object(
  { transaction: nullable(DtmTransactionSchema), branches: Type.Array(DtmBranchSchema) },
  { additionalProperties: false },
);

/** Answer of `all`: a page; `next_position` empty on the last one. */
export const DtmAllReplySchema = Type.Object(
  { transactions: Type.Array(DtmTransactionSchema), next_position: Type.String() },
  { additionalProperties: false },
);

/**
 * The fields of `subscribe` (a query string for GET, a JSON body for POST). `topic` and
 * `url` are required; the route says which is missing, in DTM's answer.
 */
export const DtmSubscribeSchema = Type.Object(
  {
    topic: Type.Optional(Type.Unknown({ description: 'required: the topic name' })),
    url: Type.Optional(Type.Unknown({ description: 'required: the subscriber URL' })),
    remark: Type.Optional(Type.Unknown({ description: 'a note, at most 1024 characters' })),
  },
  OPEN,
);

/** The fields of `unsubscribe` (a query string for GET, a JSON body for POST). */
export const DtmUnsubscribeSchema = Type.Object(
  {
    topic: Type.Optional(Type.Unknown({ description: 'required: the topic name' })),
    url: Type.Optional(Type.Unknown({ description: 'required: the subscriber URL' })),
  },
  OPEN,
);

/** The path of `DELETE topic/:name`. */
export const DtmTopicParamsSchema = Type.Object({ name: Type.String({ maxLength: 200 }) });

/** The query string of `resetCronTime` (whole numbers in text, as DTM's). */
export const DtmResetCronTimeQuerySchema = Type.Object(
  {
    timeout: Type.Optional(Type.String({ maxLength: 16, description: 'seconds' })),
    limit: Type.Optional(Type.String({ maxLength: 8, description: 'at most 10000' })),
  },
  OPEN,
);

/** The answer of `resetCronTime`. */
export const DtmResetCronTimeReplySchema = Type.Object(
  { has_remaining: Type.Boolean(), succeed_count: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

/**
 * A JSON-RPC 2.0 request to `/api/json-rpc`: an object with `jsonrpc: "2.0"`, an `id`
 * (string or number), a `method` (`newGid`, `prepare`, `submit`, `abort`,
 * `registerBranch`) and `params` (the body of the HTTP route). Any JSON is taken here:
 * the endpoint answers what is wrong with a JSON-RPC error, as the protocol asks.
 */
export const JsonRpcRequestSchema = Type.Unknown({
  title: 'JsonRpcRequest',
  description: 'a JSON-RPC 2.0 request: jsonrpc "2.0", id, method, params',
});

/** A JSON-RPC 2.0 answer: `result`, or `error` with DTM's or JSON-RPC's code. */
export const JsonRpcReplySchema = Type.Object(
  {
    jsonrpc: Type.Literal('2.0'),
    id: Type.Union([Type.String(), Type.Number(), Type.Null()]),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(
      Type.Object({
        code: Type.Integer(),
        message: Type.String(),
        data: Type.Optional(
          Type.Object(
            { code: Type.String(), issues: Type.Optional(Type.Unknown()) },
            { additionalProperties: false },
          ),
        ),
      }),
    ),
  },
  { additionalProperties: false, title: 'JsonRpcReply' },
);
