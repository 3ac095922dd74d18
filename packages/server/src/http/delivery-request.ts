/**
 * Validates the delay of a delayed delivery (`delayMs` or `deliverAt`) and resolves it
 * into the stored options: `deliverAt` becomes an instant in ms, checked against the
 * longest delay allowed.
 */
import type { FieldIssue, TransactionOptions } from '@accord/core';
import { MAX_DELIVERY_DELAY_MS, modesWhere } from '@accord/core';

/** The delay fields of a request, as the schema let them through. */
export interface DelayInput {
  readonly delayMs?: number | undefined;
  readonly deliverAt?: string | undefined;
}

/** ISO-8601 date-time with a zone (the schema's `date-time` format, checked again here). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * The stored delay fields for `input`, adding issues under `base` (`/options` or the
 * root): at most one of the two fields, only where the mode delays deliveries, and never
 * further ahead than {@link MAX_DELIVERY_DELAY_MS}.
 *
 * @example
 * resolveDelay({ delayMs: 60_000 }, '/options', true, now, issues); // { delayMs: 60000 }
 */
export function resolveDelay(
  input: DelayInput,
  base: string,
  allowed: boolean,
  now: number,
  issues: FieldIssue[],
): Pick<TransactionOptions, 'delayMs' | 'deliverAt'> {
  const { delayMs, deliverAt } = input;
  if (delayMs === undefined && deliverAt === undefined) return {};
  if (!allowed) {
    const field = delayMs === undefined ? 'deliverAt' : 'delayMs';
    const users = modesWhere((r) => r.delaysDelivery && r.createdThrough === 'transactions');
    issues.push({
      path: `${base}/${field}`,
      message: `is only used by ${users.join(', ')} transactions (and notifications)`,
    });
    return {};
  }
  if (delayMs !== undefined && deliverAt !== undefined) {
    issues.push({
      path: `${base}/deliverAt`,
      message: 'give either delayMs or deliverAt, not both',
    });
    return {};
  }
  if (delayMs !== undefined) {
    if (delayMs <= MAX_DELIVERY_DELAY_MS) return { delayMs };
    issues.push({
      path: `${base}/delayMs`,
      message: `is more than 30 days (the longest delay is ${MAX_DELIVERY_DELAY_MS} ms)`,
    });
    return {};
  }
  const at = ISO_TIME.test(deliverAt ?? '') ? Date.parse(deliverAt ?? '') : Number.NaN;
  if (!Number.isFinite(at)) {
    issues.push({
      path: `${base}/deliverAt`,
      message: 'must be an ISO-8601 time with its zone, such as 2030-01-31T12:00:00Z',
    });
    return {};
  }
  if (at - now > MAX_DELIVERY_DELAY_MS) {
    issues.push({
      path: `${base}/deliverAt`,
      message: `is more than 30 days ahead (the longest delay is ${MAX_DELIVERY_DELAY_MS} ms)`,
    });
    return {};
  }
  return { deliverAt: at };
}
