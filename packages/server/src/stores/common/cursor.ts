import { AccordError } from '@accord/core';

/** Position of the last item of a page: listing order is (createdAt DESC, gid DESC). */
export interface CursorPosition {
  readonly createdAt: number;
  readonly gid: string;
}

/** Encodes a listing position as an opaque base64url token. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.createdAt}:${position.gid}`, 'utf8').toString('base64url');
}

/**
 * Decodes a token from {@link encodeCursor}; throws INVALID_REQUEST (path `/cursor`) for
 * anything else, since cursors come from clients.
 */
export function decodeCursor(cursor: string): CursorPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const createdAt = Number(text.slice(0, colon));
  const gid = text.slice(colon + 1);
  const valid =
    colon > 0 &&
    Number.isSafeInteger(createdAt) &&
    gid.length > 0 &&
    encodeCursor({ createdAt, gid }) === cursor;
  if (!valid) {
    throw new AccordError('INVALID_REQUEST', 'invalid cursor', [
      { path: '/cursor', message: 'not a cursor returned by a previous page' },
    ]);
  }
  return { createdAt, gid };
}

/** A page size the SQL can use: a whole number of at least 1. */
export function pageSize(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.trunc(limit)) : 1;
}
