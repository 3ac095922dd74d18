/** Replies of the dashboard's feed (`GET /v1/stats`) and the routes serving the web UI. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { GLOBAL_STATUSES, MODES } from '../protocol.js';
import { CLOSED, stringEnum } from './common.js';

const Count = Type.Integer({ minimum: 0 });
const EpochMs = Type.Integer({ minimum: 0, description: 'ms since the epoch' });

/** Live (non-terminal) transactions of one mode, status and parked flag. */
const LiveCountSchema = Type.Object(
  {
    mode: stringEnum(MODES),
    status: stringEnum(GLOBAL_STATUSES),
    parked: Type.Boolean(),
    count: Count,
  },
  { ...CLOSED, title: 'LiveCount' },
);

/** One minute of one mode: transactions ended and branch calls made. */
const ActivityRowSchema = Type.Object(
  {
    minute: EpochMs,
    mode: stringEnum(MODES),
    succeeded: Count,
    failed: Count,
    calls: Count,
    callFailures: Count,
  },
  { ...CLOSED, title: 'ActivityRow' },
);

/** A coordinator instance sharing the store, from its heartbeat. */
const InstanceSchema = Type.Object(
  {
    nodeId: Type.String({ description: 'the lease owner id of the instance' }),
    self: Type.Boolean({ description: 'this instance answered the request' }),
    leases: Count,
    seenAt: EpochMs,
  },
  { ...CLOSED, title: 'Instance' },
);

/** Answer of `GET /v1/stats`: the dashboard's overview. */
export const StatsReplySchema = Type.Object(
  {
    now: EpochMs,
    store: Type.String({ description: 'the store backend, e.g. sqlite' }),
    /** Non-terminal transactions by mode, status and parked flag; terminal ones are not counted. */
    live: Type.Array(LiveCountSchema),
    parked: Count,
    /** Non-terminal transactions past their mode's stuck threshold, at the last stuck check. */
    stuck: Count,
    /** ms since the oldest due-but-unclaimed transaction was due; 0 when none is late. */
    dueLagMs: Count,
    /** Ended transactions and branch calls per minute and mode over the last hour (this instance). */
    activity: Type.Array(ActivityRowSchema),
    /** Branch-call latency over the last 5 minutes (this instance); null without calls. */
    latency: Type.Object(
      {
        p50Ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
        p99Ms: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
        calls: Count,
      },
      CLOSED,
    ),
    instances: Type.Array(InstanceSchema),
  },
  { ...CLOSED, title: 'StatsReply' },
);
/** Answer of `GET /v1/stats`. */
export type StatsReply = Static<typeof StatsReplySchema>;

/** The web UI's page. */
export const UiPageReplySchema = Type.String({ contentMediaType: 'text/html' });

/** A built asset of the web UI (JavaScript, CSS, images), by its file extension. */
export const UiAssetReplySchema = Type.String({ contentMediaType: 'application/octet-stream' });

/** A redirect to the web UI (`Location: /ui/`), with no body. */
export const UiRedirectReplySchema = Type.String({
  contentMediaType: 'text/plain',
  maxLength: 0,
  description: 'Found: the web UI is at /ui/',
});

/** `file` of `GET /ui/assets/:file`: a built asset's name. */
export const UiAssetParamsSchema = Type.Object(
  {
    file: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*$' }),
  },
  CLOSED,
);
