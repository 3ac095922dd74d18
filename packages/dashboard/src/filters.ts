/** The list filters, as the URL carries them and as the API takes them. */
import type { Query } from './api';

/** Filter names, in the order the form shows them (the contract's query parameters). */
export const FILTER_NAMES = [
  'status',
  'mode',
  'parked',
  'paused',
  'stuck',
  'since',
  'until',
  'gidPrefix',
  'label',
] as const;

/** Filters taken from the route's parameters. */
export type Filters = Partial<Record<(typeof FILTER_NAMES)[number], string>>;

/** Reads the filters from URL parameters. */
export function readFilters(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/** The API query of the filters: booleans as such, times as ISO, labels repeated. */
export function toQuery(filters: Filters): Query {
  const bool = (v: string | undefined) => (v === undefined ? undefined : v === 'true');
  const iso = (v: string | undefined) => (v ? new Date(v).toISOString() : undefined);
  return {
    status: filters.status,
    mode: filters.mode,
    parked: bool(filters.parked),
    paused: bool(filters.paused),
    stuck: bool(filters.stuck),
    since: iso(filters.since),
    until: iso(filters.until),
    gidPrefix: filters.gidPrefix,
    label: filters.label
      ?.split(',')
      .map((l) => l.trim())
      .filter(Boolean),
  };
}

/** The filter of a bulk action (the list query without cursor and limit). */
export function toBulkFilter(filters: Filters): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(toQuery(filters))) {
    if (value !== undefined && value !== '') filter[name] = value;
  }
  return filter;
}
