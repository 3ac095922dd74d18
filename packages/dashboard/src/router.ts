/** Hash routing: `#/transactions?status=failed` → path `/transactions`, params. */
import { useEffect, useState } from 'preact/hooks';

/** The current route. */
export interface Route {
  readonly path: string;
  readonly params: URLSearchParams;
}

function current(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?', 2);
  return { path, params: new URLSearchParams(query) };
}

/** The route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** A link target for a path and parameters (empty values left out). */
export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

/** Goes to a path. */
export function navigate(path: string, params: Record<string, string | undefined> = {}): void {
  location.hash = href(path, params);
}
