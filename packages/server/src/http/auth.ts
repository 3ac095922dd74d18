/**
 * Bearer-token auth with two roles: `client` (create, submit, abort, register, query)
 * and `admin` (operator actions, and everything a client may do). Every token has a
 * name, recorded as the actor of the operator actions taken with it; tokens themselves
 * are never logged or shown.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AccordError } from '@accord/core';
import type { NamedToken } from '../common/named-token.js';

/** A role a route requires. */
export type Role = 'client' | 'admin';

export type { NamedToken } from '../common/named-token.js';

/** Who a request comes from: the name of its token and the role the token holds. */
export interface Identity {
  readonly name: string;
  readonly role: Role;
}

/**
 * The configured tokens. `token` is named `client` (and also holds `admin` when no admin
 * token is set), `adminToken` is named `admin`. None at all means auth is off (loopback
 * only), and every caller is `local`, an admin.
 */
export interface AuthTokens {
  readonly token: string | null;
  readonly adminToken: string | null;
  readonly named?: readonly NamedToken[] | undefined;
}

/** The caller when no token is configured. */
export const LOCAL_IDENTITY: Identity = { name: 'local', role: 'admin' };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Every token in the order they are checked. */
function allTokens(tokens: AuthTokens): NamedToken[] {
  const all: NamedToken[] = [];
  if (tokens.adminToken !== null) {
    all.push({ name: 'admin', role: 'admin', token: tokens.adminToken });
  }
  if (tokens.token !== null) {
    const role = tokens.adminToken === null ? 'admin' : 'client';
    all.push({ name: 'client', role, token: tokens.token });
  }
  return [...all, ...(tokens.named ?? [])];
}

/**
 * Checks an Authorization header for a role and answers who it is; throws UNAUTHORIZED
 * or FORBIDDEN. Every configured token is compared (in constant time each), so the
 * answer's timing does not tell which one nearly matched.
 */
export function authorize(tokens: AuthTokens, header: string | undefined, role: Role): Identity {
  const all = allTokens(tokens);
  if (all.length === 0) return LOCAL_IDENTITY;
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match)
    throw new AccordError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token>)');
  const presented = match[1]!;
  let found: NamedToken | undefined;
  for (const candidate of all) {
    if (same(presented, candidate.token) && found === undefined) found = candidate;
  }
  if (!found) throw new AccordError('UNAUTHORIZED', 'invalid bearer token');
  if (role === 'admin' && found.role !== 'admin')
    throw new AccordError('FORBIDDEN', 'this action needs a token of the admin role');
  return { name: found.name, role: found.role };
}

/** Checks a request's bearer token for a role; throws UNAUTHORIZED/FORBIDDEN. */
export type Authorizer = (header: string | undefined, role: Role) => Identity;

const identities = new WeakMap<object, Identity>();

/** Who made a request that passed {@link requireRole}; `local` when auth is off. */
export function identityOf(request: object): Identity {
  return identities.get(request) ?? LOCAL_IDENTITY;
}

/**
 * Route options that admit only callers holding `role` (named in `config.role`, which
 * the OpenAPI document reads). The caller's identity is then {@link identityOf} the request.
 *
 * @example
 * app.post('/v1/things', { ...requireRole(authorize, 'admin') }, handler);
 */
export function requireRole(authorize: Authorizer, role: Role) {
  return {
    onRequest: async (request: { headers: { authorization?: string | undefined } }) => {
      identities.set(request, authorize(request.headers.authorization, role));
    },
    config: { role },
  };
}
