/** Path parameters, bodies and replies of the `/v1/participants` routes. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CLOSED } from './common.js';

/** A participant as people write it: `host:port` of branch URLs, IPv6 in brackets. */
export const PARTICIPANT_PATTERN = '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}$';

/** `host` in a path: a participant (`host:port`; matched without regard to case). */
export const ParticipantParamsSchema = Type.Object(
  { host: Type.String({ minLength: 3, maxLength: 262, pattern: PARTICIPANT_PATTERN }) },
  CLOSED,
);

/** Body of pause and resume: why, for the record. */
export const ParticipantActionSchema = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500 }) },
  { ...CLOSED, title: 'ParticipantAction' },
);
/** Body of pause and resume. */
export type ParticipantAction = Static<typeof ParticipantActionSchema>;

const Count = Type.Integer({ minimum: 0 });
const NullableMs = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

/** A participant as `GET /v1/participants` shows it. */
export const ParticipantSchema = Type.Object(
  {
    /** `host:port`, lower case. */
    host: Type.String(),
    /** Calls that ended in the last 5 minutes, on this instance. */
    calls: Count,
    /** Of those, the ones without an answer (timeout, network error, a status other than 2xx, 409, 425). */
    errors: Count,
    /** `errors / calls` (0 without calls). */
    errorRate: Type.Number({ minimum: 0, maximum: 1 }),
    latencyP50Ms: NullableMs,
    latencyP99Ms: NullableMs,
    /** Calls open now, on this instance. */
    inFlight: Count,
    /** Calls held back now, on this instance: paused, or waiting for the caps. */
    held: Count,
    /** Paused for every instance. */
    paused: Type.Boolean(),
    pausedBy: Type.Union([Type.String(), Type.Null()]),
    pauseReason: Type.Union([Type.String(), Type.Null()]),
    caps: Type.Object(
      {
        concurrency: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
        ratePerSec: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]),
      },
      CLOSED,
    ),
  },
  { ...CLOSED, title: 'Participant' },
);
/** A participant as `GET /v1/participants` shows it. */
export type Participant = Static<typeof ParticipantSchema>;

/** Answer of `GET /v1/participants`. */
export const ParticipantListSchema = Type.Object(
  { items: Type.Array(ParticipantSchema) },
  { ...CLOSED, title: 'ParticipantList' },
);
/** Answer of `GET /v1/participants`. */
export type ParticipantList = Static<typeof ParticipantListSchema>;
