/**
 * Who performed an operator action, as it is recorded with the action. One function, so
 * that naming the actor after the token presented (rather than its role) changes one place.
 */
import { authorize, type AuthTokens } from './auth.js';

/** The actor of a request: `admin` when it holds the admin role (or auth is off), else `client`. */
export function actorOf(
  tokens: AuthTokens,
  request: { readonly headers: { readonly authorization?: string | undefined } },
): string {
  try {
    authorize(tokens, request.headers.authorization, 'admin');
    return 'admin';
  } catch {
    return 'client';
  }
}
