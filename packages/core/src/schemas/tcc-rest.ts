/**
 * The TCC-for-REST coordinator routes (`PUT /tcc/coordinator/confirm`, `/cancel`): the
 * `application/tcc+json` request listing participant links, and the answers.
 */
import { Type } from '@sinclair/typebox';
import type { Static, TNull, TUnsafe } from '@sinclair/typebox';
import { CLOSED, stringEnum, UrlField } from './common.js';

/**
 * The body of a confirm or cancel: at most `maxLinks` links, each an absolute http(s)
 * `uri` and its `expires` (an ISO date-time or epoch milliseconds). Whether a uri is
 * allowed, and each expiry, the coordinator checks link by link, naming the link.
 */
export function tccRestRequestSchema(maxLinks: number) {
  return Type.Object({
    participantLinks: Type.Array(
      Type.Object(
        {
          uri: UrlField,
          expires: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Number()]),
        },
        { maxProperties: 16 },
      ),
      { minItems: 1, maxItems: maxLinks },
    ),
  });
}
/** The body of a confirm or cancel. */
export type TccRestRequest = Static<ReturnType<typeof tccRestRequestSchema>>;

/** What became of one participant link. */
export type LinkOutcome = 'confirmed' | 'cancelled' | 'timed-out' | 'pending';

/** A reply without a body (204). */
export const NoContentSchema: TNull = Type.Null({ description: 'No content' });

/** Schema of a {@link LinkOutcome}. */
export const LinkOutcomeSchema: TUnsafe<LinkOutcome> = stringEnum([
  'confirmed',
  'cancelled',
  'timed-out',
  'pending',
] as const);

/** Every link of a request with its outcome: the body of a 404 or 409 answer. */
export const LinkOutcomesSchema = Type.Object(
  {
    participantLinks: Type.Array(
      Type.Object(
        {
          uri: Type.String(),
          /** The link's expiry as an ISO date-time. */
          expires: Type.String(),
          outcome: LinkOutcomeSchema,
        },
        CLOSED,
      ),
    ),
  },
  { ...CLOSED, title: 'TccRestOutcomes' },
);

/** Every link of a request with its outcome. */
export type LinkOutcomes = Static<typeof LinkOutcomesSchema>;
