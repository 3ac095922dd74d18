/**
 * The `response` part of a route's schema: its success replies and, for every error code
 * the route may answer, the status that code maps to with the one error shape.
 */
import type { TSchema } from '@sinclair/typebox';
import type { ErrorCode } from '@accord/core';
import { ErrorBodySchema } from '@accord/core/schemas';
import { HTTP_STATUS } from './error-mapping.js';

/** Statuses of the errors the coordinator answers. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 414 | 415 | 500 | 503;

/** Codes any route can answer: a path that is not valid UTF-8, a fault, a stop. */
export const ANY_ROUTE: readonly ErrorCode[] = ['INVALID_REQUEST', 'INTERNAL', 'SHUTTING_DOWN'];
/** Codes of a route that takes the client token. */
export const CLIENT_ROUTE: readonly ErrorCode[] = [...ANY_ROUTE, 'UNAUTHORIZED'];
/** Codes of a route that takes the admin token. */
export const ADMIN_ROUTE: readonly ErrorCode[] = [...CLIENT_ROUTE, 'FORBIDDEN'];
/** Codes of a route that reads a JSON body. */
export const WITH_BODY: readonly ErrorCode[] = ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** Codes of a route that names a transaction in its path and goes to the store. */
export const BY_GID: readonly ErrorCode[] = [
  'URI_TOO_LONG',
  'TRANSACTION_NOT_FOUND',
  'STORE_UNAVAILABLE',
];

/**
 * The error replies of `codes`, one per HTTP status they map to, each in the shape
 * `shapeOf(status)` gives with its codes listed (`description` and `x-error-codes`, which
 * the OpenAPI document carries on the response).
 */
export function errorReplies(
  codes: readonly ErrorCode[],
  shapeOf: (status: number) => TSchema,
): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = HTTP_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      { ...shapeOf(status), description: list.join(', '), 'x-error-codes': list },
    ]),
  );
}

/**
 * The response schemas of a route: `success` as given, and one entry per status of
 * `codes`, the error shape with those codes listed in `x-error-codes` (the OpenAPI
 * document carries them on the response).
 *
 * @example
 * schema: { response: replies({ 200: TransactionReplySchema }, [...CLIENT_ROUTE, ...BY_GID]) }
 */
export function replies<S extends Record<number, TSchema>>(
  success: S,
  codes: readonly ErrorCode[],
): S & Record<ErrorStatus, typeof ErrorBodySchema> {
  const errors = errorReplies(codes, () => ErrorBodySchema);
  return { ...success, ...errors } as unknown as S & Record<ErrorStatus, typeof ErrorBodySchema>;
}
