/** The one shape of every error the coordinator answers. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ERROR_CODES } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { CLOSED, stringEnum } from './common.js';

/** A stable error code (docs/errors.md lists them). */
export const ErrorCodeSchema = stringEnum(Object.keys(ERROR_CODES) as ErrorCode[]);

/**
 * Body of every error reply: `{ error: { code, message, details? } }`. `details` of an
 * `INVALID_REQUEST` holds `issues`, one per invalid field.
 */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: ErrorCodeSchema,
        message: Type.String(),
        /** Facts about the error; `{ issues: [{ path, message }] }` for invalid fields. */
        details: Type.Optional(Type.Unknown()),
      },
      CLOSED,
    ),
  },
  { ...CLOSED, title: 'Error' },
);

/** Body of every error reply. */
export type ErrorBody = Static<typeof ErrorBodySchema>;
