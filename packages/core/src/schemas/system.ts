/** Query strings, path parameters and the replies of the system routes. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { GLOBAL_STATUSES, MODES } from '../protocol.js';
import { CLOSED, GidField, stringEnum } from './common.js';

/** `gid` in a path. */
export const GidParamsSchema = Type.Object({ gid: GidField }, CLOSED);

/** Page size of a listing when the query gives none. */
export const DEFAULT_LIST_LIMIT = 50;

/** A time bound of a listing: an ISO-8601 time or epoch milliseconds. */
const TimeBound = Type.String({ minLength: 1, maxLength: 64 });

/** A label filter, `key=value`. */
const LabelFilter = Type.String({ minLength: 3, maxLength: 200, pattern: '^[^=]+=.+$' });

/**
 * The filters of a listing (and of a bulk action): `since`/`until` bound the creation
 * time, `label` (`key=value`, one or several) must all match, `stuck` is non-terminal
 * for longer than the mode's threshold.
 */
export const ListFilterFields = {
  status: Type.Optional(stringEnum(GLOBAL_STATUSES)),
  mode: Type.Optional(stringEnum(MODES)),
  parked: Type.Optional(Type.Boolean()),
  paused: Type.Optional(Type.Boolean()),
  stuck: Type.Optional(Type.Boolean()),
  gidPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  label: Type.Optional(
    Type.Union([LabelFilter, Type.Array(LabelFilter, { minItems: 1, maxItems: 16 })]),
  ),
  since: Type.Optional(TimeBound),
  until: Type.Optional(TimeBound),
};

/** Query string of `GET /v1/transactions` (see {@link ListFilterFields}). */
export const ListQuerySchema = Type.Object(
  {
    ...ListFilterFields,
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: DEFAULT_LIST_LIMIT })),
  },
  CLOSED,
);
/** Query string of `GET /v1/transactions`, as validated. */
export type ListQueryString = Static<typeof ListQuerySchema>;

/** Query string of `POST /v1/ids`. */
export const IdsQuerySchema = Type.Object(
  { count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })) },
  CLOSED,
);

/** Answer of `POST /v1/ids`: time-ordered unique ids, as decimal strings. */
export const IdsReplySchema = Type.Object(
  { ids: Type.Array(Type.String({ pattern: '^[0-9]+$' })) },
  { ...CLOSED, title: 'IdsReply' },
);

/** Answer of `GET /healthz`. */
export const HealthReplySchema = Type.Object({ status: Type.Literal('ok') }, CLOSED);

/** Answer of `GET /readyz` when the store answers. */
export const ReadyReplySchema = Type.Object(
  { status: Type.Literal('ready'), store: Type.String() },
  CLOSED,
);

/** Answer of `GET /metrics`: the Prometheus text exposition format. */
export const MetricsReplySchema = Type.String({ contentMediaType: 'text/plain; version=0.0.4' });

/** Answer of `GET /openapi.json`: this API's OpenAPI 3.1 document. */
export const OpenapiReplySchema = Type.Object(
  { openapi: Type.String(), info: Type.Object({}), paths: Type.Object({}) },
  { description: 'An OpenAPI 3.1 document' },
);
