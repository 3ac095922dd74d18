/**
 * An HTTP endpoint paged by cursor: `GET url?from=&to=&limit=&cursor=` answers
 * `{ "items": [...], "nextCursor": "..." | null }`, items in key order across pages.
 */
import { redactUrl } from '@accord/protocol';
import type { SourceRow } from '../core/rules.js';
import type { HttpSourceSpec, OpenedSource, TimeWindow } from './source-spec.js';

/** Records per page unless the job says otherwise. */
export const DEFAULT_PAGE_SIZE = 500;
/** How long one page may take. */
const PAGE_TIMEOUT_MS = 30_000;

/** Opens the endpoint of `spec` for `window`. */
export function openHttpSource(spec: HttpSourceSpec, window: TimeWindow): OpenedSource {
  return {
    description: redactUrl(spec.url),
    rows: pages(spec, window),
    complete: () => Promise.resolve(),
  };
}

async function* pages(spec: HttpSourceSpec, window: TimeWindow): AsyncGenerator<SourceRow> {
  let cursor: string | null = null;
  do {
    const url = new URL(spec.url);
    url.searchParams.set('from', window.from.toISOString());
    url.searchParams.set('to', window.to.toISOString());
    url.searchParams.set('limit', String(spec.pageSize ?? DEFAULT_PAGE_SIZE));
    if (cursor !== null) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...spec.headers },
      signal: AbortSignal.timeout(PAGE_TIMEOUT_MS),
    });
    if (!response.ok) {
      throw new Error(`http source ${redactUrl(spec.url)}: page answered ${response.status}`);
    }
    const page = (await response.json()) as { items?: unknown; nextCursor?: unknown };
    if (!Array.isArray(page.items)) {
      throw new Error(`http source ${redactUrl(spec.url)}: page has no "items" array`);
    }
    if (
      page.nextCursor !== null &&
      page.nextCursor !== undefined &&
      typeof page.nextCursor !== 'string'
    ) {
      throw new Error(`http source ${redactUrl(spec.url)}: "nextCursor" is not a string or null`);
    }
    yield* page.items as SourceRow[];
    cursor = page.nextCursor ?? null;
  } while (cursor !== null);
}
