/** What the `/v1/transactions` routes answer (docs/protocol.md, "Shapes"). */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { GLOBAL_STATUSES, MODES, OPERATOR_ACTIONS } from '../protocol.js';
import type { Dialect, OpName, OpStatus, OutcomeKind, TransactionOptions } from '../protocol.js';
import {
  CLOSED,
  every,
  everyField,
  GidField,
  PayloadField,
  stringEnum,
  TimeField,
} from './common.js';
import { HeadersSchema } from './transaction-requests.js';

const OP_NAMES = every<OpName>()([
  'action',
  'compensate',
  'confirm',
  'cancel',
  'commit',
  'rollback',
  'check',
]);
const OP_STATUSES = every<OpStatus>()(['pending', 'succeeded', 'failed']);
const OUTCOME_KINDS = every<OutcomeKind>()(['success', 'failure', 'ongoing', 'error']);

const NullableTime = Type.Union([TimeField, Type.Null()]);
const Count = Type.Integer({ minimum: 0 });

/** Last error of a branch op or a delivery, as the API shows it. */
export const BranchLastErrorSchema = Type.Object(
  {
    /** HTTP status of the reply; null for timeouts and network errors. */
    httpStatus: Type.Union([Type.Integer(), Type.Null()]),
    message: Type.String(),
    at: TimeField,
  },
  { ...CLOSED, title: 'BranchLastError' },
);
/** Last error of a branch op, as the API shows it. */
export type BranchLastError = Static<typeof BranchLastErrorSchema>;

/** One branch op of a transaction, as the API shows it. */
export const BranchSchema = Type.Object(
  {
    branchId: Type.String(),
    op: stringEnum(OP_NAMES),
    url: Type.String(),
    payload: PayloadField,
    dependsOn: Type.Array(Type.String()),
    status: stringEnum(OP_STATUSES),
    attempts: Count,
    nextAttemptAt: TimeField,
    lastError: Type.Union([BranchLastErrorSchema, Type.Null()]),
  },
  { ...CLOSED, title: 'Branch' },
);
/** One branch op of a transaction, as the API shows it. */
export type Branch = Static<typeof BranchSchema>;

/** Options of a stored transaction, every default resolved. */
export const TransactionOptionsSchema = Type.Object(
  everyField<TransactionOptions>()({
    requestTimeoutMs: Type.Integer(),
    retry: Type.Object(
      {
        firstDelayMs: Type.Number(),
        factor: Type.Number(),
        maxDelayMs: Type.Number(),
        jitter: Type.Number(),
        ongoingDelayMs: Type.Number(),
        maxAttempts: Type.Integer(),
      },
      CLOSED,
    ),
    timeoutMs: Type.Union([Type.Integer(), Type.Null()]),
    concurrent: Type.Boolean(),
    headers: HeadersSchema,
    /** notify: delays (ms) before each redelivery. */
    schedule: Type.Optional(Type.Array(Type.Integer())),
    /** notify: the body a 2xx must carry to acknowledge. */
    ackBody: Type.Optional(Type.String()),
    /** msg, notify: the delivery waits this long (ms) after the submit. */
    delayMs: Type.Optional(Type.Integer()),
    /** msg, notify: nothing is delivered before this time. */
    deliverAt: Type.Optional(TimeField),
    /** `dtm` for transactions created through the DTM-compatible API. */
    dialect: Type.Optional(stringEnum(every<Dialect>()(['dtm']))),
    /** `base64` when payloads are binary (DTM's gRPC API). */
    payloadEncoding: Type.Optional(Type.Literal('base64')),
    /** The transaction's trace context: its span's `traceparent`, the caller's span and `tracestate`. */
    trace: Type.Optional(
      Type.Object(
        {
          traceparent: Type.String(),
          parentSpanId: Type.Optional(Type.String()),
          tracestate: Type.Optional(Type.String()),
        },
        { ...CLOSED, title: 'TransactionTrace' },
      ),
    ),
  }),
  { ...CLOSED, title: 'TransactionOptions' },
);

/** A global transaction, as the API shows it (`branches` absent in lists). */
export const TransactionSchema = Type.Object(
  {
    gid: GidField,
    mode: stringEnum(MODES),
    status: stringEnum(GLOBAL_STATUSES),
    reason: Type.Union([Type.String(), Type.Null()]),
    parked: Type.Boolean(),
    /** An operator paused it: nothing is called until it is resumed. */
    paused: Type.Boolean(),
    labels: Type.Unsafe<Record<string, string>>({
      type: 'object',
      additionalProperties: { type: 'string' },
    }),
    createdAt: TimeField,
    updatedAt: TimeField,
    finishedAt: NullableTime,
    nextAttemptAt: NullableTime,
    options: TransactionOptionsSchema,
    checkUrl: Type.Union([Type.String(), Type.Null()]),
    branches: Type.Optional(Type.Array(BranchSchema)),
  },
  { ...CLOSED, title: 'Transaction' },
);
/** A global transaction, as the API shows it (`branches` absent in lists). */
export type Transaction = Static<typeof TransactionSchema>;

/** One recorded attempt (or operator action) in a transaction's history. */
export const AttemptSchema = Type.Object(
  {
    branchId: Type.String(),
    /** The op called, or the operator action taken. */
    op: stringEnum([...OP_NAMES, ...OPERATOR_ACTIONS] as const),
    attempt: Count,
    startedAt: TimeField,
    finishedAt: TimeField,
    outcome: stringEnum(OUTCOME_KINDS),
    httpStatus: Type.Union([Type.Integer(), Type.Null()]),
    message: Type.Union([Type.String(), Type.Null()]),
    /** Who took an operator action (a token's name); null for the coordinator's calls. */
    actor: Type.Union([Type.String(), Type.Null()]),
  },
  { ...CLOSED, title: 'Attempt' },
);
/** One recorded attempt (or operator action) in a transaction's history. */
export type Attempt = Static<typeof AttemptSchema>;

/** Answer of create, register, submit, abort, retry and resolve. */
export const TransactionReplySchema = Type.Object(
  { transaction: TransactionSchema },
  { ...CLOSED, title: 'TransactionReply' },
);

/** Answer of `GET /v1/transactions/{gid}`. */
export const QueryResultSchema = Type.Object(
  { transaction: TransactionSchema, history: Type.Array(AttemptSchema) },
  { ...CLOSED, title: 'QueryResult' },
);
/** Answer of `query`. */
export type QueryResult = Static<typeof QueryResultSchema>;

/** One page of `GET /v1/transactions`, newest first. */
export const TransactionPageSchema = Type.Object(
  {
    items: Type.Array(TransactionSchema),
    /** Pass as `cursor` for the next page; null on the last one. */
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { ...CLOSED, title: 'TransactionPage' },
);
/** One page of `list`, newest first. */
export type TransactionPage = Static<typeof TransactionPageSchema>;
