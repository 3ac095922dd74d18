/**
 * Turns a notification request into a {@link NewTransaction} of mode `notify`: one
 * delivery of one payload to one target, redelivered on a schedule until acknowledged.
 */
import type { FieldIssue, NewTransaction, NotifySchedulePreset } from '@accord/core';
import { NOTIFY_SCHEDULES, rulesOf, ValidationError } from '@accord/core';
import type { CreateContext } from './create-request.js';
import { checkHeaders, checkTargetField, fingerprintOf } from './create-request.js';
import type { PendingHost } from '../outbound/target-policy.js';

/** The body of `POST /v1/notifications` as the schema guarantees it. */
export interface NotificationBody {
  /** The notification's id (its gid); generated when absent. */
  id?: string;
  /** Receiver: an http(s) URL or a broker target. */
  url: string;
  payload?: unknown;
  /** A preset name or the delays (ms) before each redelivery; default `default`. */
  schedule?: NotifySchedulePreset | number[];
  /** Exact (trimmed) body a 2xx must carry to count as acknowledged. */
  ackBody?: string;
  requestTimeoutMs?: number;
  headers?: Record<string, string>;
}

/** The branch id of a notification's single delivery op. */
export const NOTIFY_BRANCH_ID = 'notify';

/** Validates and resolves a notification request; throws a {@link ValidationError}. */
export async function toNewNotification(
  body: NotificationBody,
  ctx: CreateContext,
): Promise<NewTransaction> {
  const issues: FieldIssue[] = [];
  const pending: PendingHost[] = [];
  checkTargetField(ctx, body.url, '/url', issues, pending, rulesOf('notify').allowsBrokerTargets);
  checkHeaders(body.headers ?? {}, issues, '/headers');
  if (issues.length === 0) issues.push(...(await ctx.policy.checkPending(pending)));
  if (issues.length > 0) throw new ValidationError(issues);
  const schedule =
    body.schedule === undefined || typeof body.schedule === 'string'
      ? NOTIFY_SCHEDULES[body.schedule ?? 'default']
      : body.schedule;
  const defaults = ctx.config.defaults;
  const fingerprint = fingerprintOf({ ...body, id: undefined, mode: 'notify' });
  return {
    gid: body.id ?? ctx.newGid(),
    mode: 'notify',
    options: {
      requestTimeoutMs: body.requestTimeoutMs ?? defaults.requestTimeoutMs,
      retry: defaults.retry,
      timeoutMs: null,
      concurrent: false,
      headers: body.headers ?? {},
      schedule: [...schedule],
      ...(body.ackBody !== undefined && { ackBody: body.ackBody }),
    },
    checkUrl: null,
    steps: [
      {
        id: NOTIFY_BRANCH_ID,
        action: {
          url: body.url,
          payload: body.payload === undefined ? '' : JSON.stringify(body.payload),
        },
      },
    ],
    fingerprint,
  };
}
