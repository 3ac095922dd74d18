/** The bearer token of this tab, kept in sessionStorage (gone when the tab closes). */
const KEY = 'accord.token';

/** The token signed in with, or null. */
export function readToken(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Signs in (an empty token: auth is off on a loopback coordinator). */
export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

/** Signs out. */
export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
