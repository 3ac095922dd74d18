/**
 * The listing's filters as CLI flags (`--status --mode --parked --paused --gid-prefix
 * --label k=v --stuck --since --until`), shared by `accord tx list` and `accord bulk`,
 * turned into the query fields of `GET /v1/transactions` and the `filter` of
 * `POST /v1/bulk`. Each refusal names its flag and why.
 */
import { UsageError } from './usage-error.js';

/** parseArgs options of the filter flags. */
export const FILTER_OPTIONS = {
  status: { type: 'string' },
  mode: { type: 'string' },
  parked: { type: 'boolean' },
  paused: { type: 'boolean' },
  stuck: { type: 'boolean' },
  'gid-prefix': { type: 'string' },
  label: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

/** The filter flags as parseArgs hands them over. */
export interface FilterFlags {
  status?: string | undefined;
  mode?: string | undefined;
  parked?: boolean | undefined;
  paused?: boolean | undefined;
  stuck?: boolean | undefined;
  'gid-prefix'?: string | undefined;
  label?: string[] | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** A listing filter in the API's field names (the server checks values further). */
export interface ListFilter {
  status?: string;
  mode?: string;
  parked?: boolean;
  paused?: boolean;
  stuck?: boolean;
  gidPrefix?: string;
  label?: string[];
  since?: string;
  until?: string;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(s|m|h|d)$/;

/**
 * A time flag as the API's ISO time: an ISO-8601 time as given, or a duration
 * (`90s`, `15m`, `1h`, `2d`) meaning that long before `now`.
 *
 * @example
 * parseTimeFlag('15m', '--since', Date.parse('2026-01-01T00:15:00Z')); // '2026-01-01T00:00:00.000Z'
 */
export function parseTimeFlag(value: string, flag: string, now: number): string {
  const duration = DURATION.exec(value);
  if (duration) {
    const ms = Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
    return new Date(now - ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) {
    return new Date(Date.parse(value)).toISOString();
  }
  throw new UsageError(
    `${flag} "${value}": expected an ISO time (2026-05-01T12:00:00Z) or a duration ago (90s, 15m, 1h, 2d)`,
  );
}

/** The filter flags as a listing filter; `now` anchors durations. */
export function filterFromFlags(flags: FilterFlags, now: number): ListFilter {
  const filter: ListFilter = {};
  if (flags.status !== undefined) filter.status = flags.status;
  if (flags.mode !== undefined) filter.mode = flags.mode;
  if (flags.parked) filter.parked = true;
  if (flags.paused) filter.paused = true;
  if (flags.stuck) filter.stuck = true;
  if (flags['gid-prefix'] !== undefined) filter.gidPrefix = flags['gid-prefix'];
  for (const label of flags.label ?? []) {
    if (label.indexOf('=') <= 0 || label.endsWith('=')) {
      throw new UsageError(`--label "${label}": expected key=value, e.g. --label order=42`);
    }
    (filter.label ??= []).push(label);
  }
  if (flags.since !== undefined) filter.since = parseTimeFlag(flags.since, '--since', now);
  if (flags.until !== undefined) filter.until = parseTimeFlag(flags.until, '--until', now);
  return filter;
}

/** A positive integer flag, or a refusal naming it. */
export function parseCountFlag(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new UsageError(`${flag} "${value}": expected a whole number from 1 to ${max}`);
  }
  return n;
}

/** A listing filter as query-string pairs (`label` repeated). */
export function filterQuery(filter: ListFilter): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter) as Array<
    [string, string | boolean | string[]]
  >) {
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.set(key, String(value));
  }
  return params;
}
