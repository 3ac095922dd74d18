/**
 * Request bodies of the `/v1/transactions` routes. Structure only: the rules that need
 * code (URLs and the outbound policy, the step graph, which mode takes which fields) are
 * the coordinator's, and its 400 names the field all the same.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { MAX_DELIVERY_DELAY_MS } from '../delivery-delay.js';
import { LABEL_KEY_PATTERN, MAX_LABEL_VALUE, MAX_LABELS } from '../labels.js';
import { MODES } from '../protocol.js';
import { MAX_LOCK_KEY_LENGTH, MAX_LOCK_KEYS } from '../row-locks.js';
import {
  BranchIdField,
  CLOSED,
  GidField,
  PayloadField,
  stringEnum,
  stringMap,
  UrlField,
} from './common.js';

/**
 * `waitResult`: `true` waits up to the server's cap for a terminal status, a number waits
 * at most that many ms, `false`/absent answers at once.
 */
export const WaitResultSchema = Type.Union(
  [Type.Boolean(), Type.Integer({ minimum: 0, maximum: 600_000 })],
  { title: 'WaitResult' },
);
/** `waitResult` of create and submit. */
export type WaitResult = Static<typeof WaitResultSchema>;

/** Retry overrides; every field optional (server defaults fill the rest). */
export const RetryOptionsSchema = Type.Object(
  {
    /** Delay before the first retry of an unknown outcome, ms. */
    firstDelayMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    /** Growth factor of the delay per consecutive failure. */
    factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
    /** Upper bound of one delay, ms. */
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
    /** Random spread of each delay, as a fraction (0.2 = ±20 %). */
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Fixed delay after an ONGOING (425) reply, ms. */
    ongoingDelayMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    /** Consecutive failed attempts an op may make. */
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { ...CLOSED, title: 'RetryOptions' },
);
/** Retry overrides of a create request. */
export type RetryOptions = Static<typeof RetryOptionsSchema>;

/**
 * `delayMs` of a delayed delivery: how long after the submit (a notification's: after its
 * creation) the delivery falls due, at most 30 days.
 */
export const DelayMsField = Type.Integer({ minimum: 0, maximum: MAX_DELIVERY_DELAY_MS });

/**
 * `deliverAt` of a delayed delivery: an ISO-8601 time with its zone, before which nothing
 * is delivered; at most 30 days ahead, and a time already past means at once.
 */
export const DeliverAtField = Type.String({ format: 'date-time', maxLength: 64 });

/** Extra headers sent with every branch call or delivery (`accord-*` is reserved). */
export const HeadersSchema = stringMap(Type.String({ maxLength: 1024 }), 32);

/**
 * Per-transaction options as sent on create; the server resolves missing ones.
 *
 * @example
 * const options: TransactionOptionsInput = { timeoutMs: 60_000, retry: { maxAttempts: 5 } };
 */
export const TransactionOptionsInputSchema = Type.Object(
  {
    /** saga: overall deadline; tcc/xa/msg: how long it may stay prepared (null: none). */
    timeoutMs: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 2_592_000_000 }), Type.Null()]),
    ),
    /** Timeout of each branch call, ms. */
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    /** saga/msg without `dependsOn`: run every step at once. */
    concurrent: Type.Optional(Type.Boolean()),
    /** Extra headers sent with every branch call (`accord-*` is reserved). */
    headers: Type.Optional(HeadersSchema),
    retry: Type.Optional(RetryOptionsSchema),
    /**
     * msg only: deliver the steps this long (ms) after the submit; at most 30 days. The
     * delay is the whole message's: every step falls due together. Not with `deliverAt`.
     */
    delayMs: Type.Optional(DelayMsField),
    /**
     * msg only: deliver no step before this ISO-8601 time (with its zone); at most 30 days
     * ahead, and a time already past delivers at submit. Not with `delayMs`.
     */
    deliverAt: Type.Optional(DeliverAtField),
  },
  { ...CLOSED, title: 'TransactionOptionsInput' },
);
/** Per-transaction options as sent on create. */
export type TransactionOptionsInput = Static<typeof TransactionOptionsInputSchema>;

/** Schema of one saga or msg step, within a server's step limit. */
function stepSchema(maxSteps: number) {
  return Type.Object(
    {
      /** Unique within the transaction; defaults to `01`, `02`, … by position. */
      id: Type.Optional(BranchIdField),
      /** URL called forward (saga action, msg delivery); msg steps may name a broker. */
      action: UrlField,
      /** saga only: URL that undoes the action. */
      compensate: Type.Optional(UrlField),
      /** JSON body of action and compensate. */
      payload: Type.Optional(PayloadField),
      /** Step ids that must succeed first (turns the steps into a DAG). */
      dependsOn: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: maxSteps })),
      /** Per-step override of `options.retry.maxAttempts`. */
      maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    },
    { ...CLOSED, title: 'StepRequest' },
  );
}

/**
 * One saga or msg step on the wire. `P` types the payload.
 *
 * @example
 * const step: StepRequest<{ amount: number }> = {
 *   id: 'withdraw', action: 'http://bank/withdraw', payload: { amount: 100 },
 * };
 */
export type StepRequest<P = unknown> = Omit<Static<ReturnType<typeof stepSchema>>, 'payload'> & {
  /** JSON body of action and compensate. */
  payload?: P;
};

/**
 * Schema of `POST /v1/transactions`, with the server's step limit (`ACCORD_MAX_STEPS`).
 *
 * @example
 * const schema = createTransactionRequestSchema(100);
 */
export function createTransactionRequestSchema(maxSteps: number) {
  return Type.Object(
    {
      /** Omit to let the coordinator generate a time-ordered one. */
      gid: Type.Optional(GidField),
      mode: stringEnum(MODES),
      /** saga and msg only. */
      steps: Type.Optional(Type.Array(stepSchema(maxSteps), { maxItems: maxSteps })),
      /** msg only (required there): the producer's check-back URL. */
      checkUrl: Type.Optional(UrlField),
      options: Type.Optional(TransactionOptionsInputSchema),
      /** Tags to find it by (`GET /v1/transactions?label=key=value`); stored, never changed. */
      labels: Type.Optional(LabelsSchema),
      waitResult: Type.Optional(WaitResultSchema),
    },
    { ...CLOSED, title: 'CreateTransactionRequest' },
  );
}

/**
 * Body of `POST /v1/transactions`.
 *
 * @example
 * const body: CreateTransactionRequest = { mode: 'tcc', options: { timeoutMs: 10_000 } };
 */
export type CreateTransactionRequest = Static<ReturnType<typeof createTransactionRequestSchema>>;

/**
 * Body of `POST /v1/transactions/{gid}/branches` for a tcc branch.
 *
 * @example
 * const b: TccBranchRequest = { branchId: '01', confirm: 'http://x/c', cancel: 'http://x/x' };
 */
export const TccBranchRequestSchema = Type.Object(
  {
    branchId: BranchIdField,
    confirm: UrlField,
    cancel: UrlField,
    payload: Type.Optional(PayloadField),
  },
  CLOSED,
);
/** A tcc branch registration. */
export type TccBranchRequest = Static<typeof TccBranchRequestSchema>;

/**
 * Body of `POST /v1/transactions/{gid}/branches` for an xa branch.
 *
 * @example
 * const b: XaBranchRequest = { branchId: '01', commit: 'http://x/commit', rollback: 'http://x/rollback' };
 */
export const XaBranchRequestSchema = Type.Object(
  {
    branchId: BranchIdField,
    commit: UrlField,
    rollback: UrlField,
    payload: Type.Optional(PayloadField),
  },
  CLOSED,
);
/** An xa branch registration. */
export type XaBranchRequest = Static<typeof XaBranchRequestSchema>;

/** The global row locks an at branch takes: `resource:table:pk` keys. */
export const LockKeysField = Type.Array(
  Type.String({
    minLength: 5,
    maxLength: MAX_LOCK_KEY_LENGTH,
    pattern: '^[^:]+:[^:]+:.+$',
    description: '`resource:table:pk`; the resource and table contain no `:`.',
  }),
  { maxItems: MAX_LOCK_KEYS },
);

/**
 * Body of `POST /v1/transactions/{gid}/branches` for an at branch: an xa-shaped
 * registration with the row locks its local transaction needs.
 *
 * @example
 * const b: AtBranchRequest = {
 *   branchId: '01',
 *   commit: 'http://x/commit',
 *   rollback: 'http://x/rollback',
 *   lockKeys: ['orders-db:stock:42'],
 * };
 */
export const AtBranchRequestSchema = Type.Object(
  { ...XaBranchRequestSchema.properties, lockKeys: Type.Optional(LockKeysField) },
  CLOSED,
);
/** An at branch registration. */
export type AtBranchRequest = Static<typeof AtBranchRequestSchema>;

/**
 * Schema of `POST /v1/transactions/{gid}/branches`: the fields of both kinds, each pair
 * optional; the coordinator answers 400 unless exactly one pair is given (`confirm` and
 * `cancel` for tcc, `commit` and `rollback` for xa), naming the missing field.
 */
export const RegisterBranchRequestSchema = Type.Object(
  {
    ...TccBranchRequestSchema.properties,
    confirm: Type.Optional(UrlField),
    cancel: Type.Optional(UrlField),
    commit: Type.Optional(UrlField),
    rollback: Type.Optional(UrlField),
    lockKeys: Type.Optional(LockKeysField),
  },
  {
    ...CLOSED,
    title: 'RegisterBranchRequest',
    description:
      'Either confirm and cancel (tcc) or commit and rollback (xa, at); at branches add the row locks they take in lockKeys.',
  },
);

/**
 * Body of `POST /v1/transactions/{gid}/branches`: a tcc, an xa or an at branch.
 *
 * @example
 * const b: RegisterBranchRequest = { branchId: '01', confirm: 'http://x/c', cancel: 'http://x/x' };
 */
export type RegisterBranchRequest = TccBranchRequest | XaBranchRequest | AtBranchRequest;

/** Body of `submit` (optional). */
export const SubmitRequestSchema = Type.Object(
  { waitResult: Type.Optional(WaitResultSchema) },
  { ...CLOSED, title: 'SubmitRequest' },
);
/** Options of `submit`. */
export type SubmitOptions = Static<typeof SubmitRequestSchema>;

/** Body of `abort` (optional). */
export const AbortRequestSchema = Type.Object(
  {
    /** Recorded as the transaction's reason. */
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { ...CLOSED, title: 'AbortRequest' },
);
/** Options of `abort`. */
export type AbortOptions = Static<typeof AbortRequestSchema>;

/** Labels of a transaction: up to 16 `key: value` pairs. */
export const LabelsSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: MAX_LABELS,
  propertyNames: { pattern: LABEL_KEY_PATTERN, maxLength: 63 },
  additionalProperties: { type: 'string', minLength: 1, maxLength: MAX_LABEL_VALUE },
});

/** Why an operator acts: recorded in the history with the actor. */
export const OperatorReasonField = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' });

/** Body of the operator routes `pause` and `resume`. */
export const OperatorActionRequestSchema = Type.Object(
  { reason: OperatorReasonField },
  { ...CLOSED, title: 'OperatorActionRequest' },
);
/** Body of `pause` and `resume`. */
export type OperatorActionRequest = Static<typeof OperatorActionRequestSchema>;

/** Body of the operator route `retry` (optional). */
export const RetryRequestSchema = Type.Object(
  { reason: Type.Optional(OperatorReasonField) },
  { ...CLOSED, title: 'RetryRequest' },
);
/** Body of `retry`. */
export type RetryRequest = Static<typeof RetryRequestSchema>;

/** Body of the operator route `resolve`. */
export const ResolveRequestSchema = Type.Object(
  {
    status: stringEnum(['succeeded', 'failed'] as const),
    /** Required: why an operator decided by hand. */
    reason: Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' }),
  },
  { ...CLOSED, title: 'ResolveRequest' },
);
/** Body of the operator route `resolve`. */
export type ResolveRequest = Static<typeof ResolveRequestSchema>;
