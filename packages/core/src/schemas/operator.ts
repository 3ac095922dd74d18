/** Schemas of the operator routes: who am I, and bulk actions by filter. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CLOSED, GidField, stringEnum } from './common.js';
import { ListFilterFields } from './system.js';
import { OperatorReasonField } from './transaction-requests.js';

/** Answer of `GET /v1/whoami`: the name and role of the caller's token. */
export const WhoamiReplySchema = Type.Object(
  {
    name: Type.String(),
    role: stringEnum(['client', 'admin'] as const),
  },
  { ...CLOSED, title: 'WhoamiReply' },
);
/** Answer of `whoami`. */
export type WhoamiReply = Static<typeof WhoamiReplySchema>;

/** Actions `POST /v1/bulk` can take. */
export const BULK_ACTIONS = ['retry', 'resolve', 'pause', 'resume'] as const;
/** An action of `POST /v1/bulk`. */
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Most transactions one bulk request acts on. */
export const MAX_BULK_LIMIT = 10_000;

/** The filter of a bulk action: the listing's, without cursor and limit. */
export const BulkFilterSchema = Type.Object(ListFilterFields, { ...CLOSED, title: 'BulkFilter' });
/** The filter of a bulk action. */
export type BulkFilter = Static<typeof BulkFilterSchema>;

/** Body of `POST /v1/bulk`. */
export const BulkRequestSchema = Type.Object(
  {
    action: stringEnum(BULK_ACTIONS),
    filter: BulkFilterSchema,
    reason: OperatorReasonField,
    /** resolve only (required there): the status to resolve to. */
    status: Type.Optional(stringEnum(['succeeded', 'failed'] as const)),
    /** Count what matches and change nothing. */
    dryRun: Type.Boolean(),
    /** At most this many transactions, newest first (default and most 10 000). */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BULK_LIMIT })),
  },
  { ...CLOSED, title: 'BulkRequest' },
);
/** Body of `POST /v1/bulk`. */
export type BulkRequest = Static<typeof BulkRequestSchema>;

/** One transaction a bulk action could not be applied to. */
export const BulkFailureSchema = Type.Object(
  { gid: GidField, code: Type.String(), message: Type.String() },
  { ...CLOSED, title: 'BulkFailure' },
);

/** Answer of `POST /v1/bulk`. */
export const BulkReplySchema = Type.Object(
  {
    matched: Type.Integer({ minimum: 0 }),
    applied: Type.Integer({ minimum: 0 }),
    failed: Type.Array(BulkFailureSchema),
  },
  { ...CLOSED, title: 'BulkReply' },
);
/** Answer of `POST /v1/bulk`. */
export type BulkReply = Static<typeof BulkReplySchema>;
