/**
 * Bearer-token auth with two roles: `client` (create, submit, abort, register, query)
 * and `admin` (operator actions, and everything a client may do).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AccordError } from '@accord/core';

/** A role a route requires. */
export type Role = 'client' | 'admin';

/** The configured tokens; both null means auth is off (loopback only). */
export interface AuthTokens {
  readonly token: string | null;
  readonly adminToken: string | null;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Checks an Authorization header for a role; throws UNAUTHORIZED or FORBIDDEN. */
export function authorize(tokens: AuthTokens, header: string | undefined, role: Role): void {
  if (tokens.token === null && tokens.adminToken === null) return;
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match)
    throw new AccordError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>)');
  const presented = match[1]!;
  const isAdmin =
    tokens.adminToken !== null
      ? same(presented, tokens.adminToken)
      : tokens.token !== null && same(presented, tokens.token);
  const isClient = isAdmin || (tokens.token !== null && same(presented, tokens.token));
  if (!isClient) throw new AccordError('UNAUTHORIZED', 'invalid bearer token');
  if (role === 'admin' && !isAdmin)
    throw new AccordError('FORBIDDEN', 'this action needs the admin token');
}

/** Checks a request's bearer token for a role; throws UNAUTHORIZED/FORBIDDEN. */
export type Authorizer = (header: string | undefined, role: Role) => void;

/**
 * Route options that admit only callers holding `role` (named in `config.role`, which
 * the OpenAPI document reads).
 *
 * @example
 * app.post('/v1/things', { ...requireRole(authorize, 'admin') }, handler);
 */
export function requireRole(authorize: Authorizer, role: Role) {
  return {
    onRequest: async (request: { headers: { authorization?: string | undefined } }) =>
      authorize(request.headers.authorization, role),
    config: { role },
  };
}
