/** Replies of the TCC-for-REST coordinator routes (`PUT /tcc/coordinator/confirm`, `/cancel`). */
import { Type } from '@sinclair/typebox';
import type { Static, TNull, TUnsafe } from '@sinclair/typebox';
import { CLOSED, stringEnum } from './common.js';

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
