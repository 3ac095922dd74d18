/**
 * Turns a notification request into a {@link NewTransaction} of mode `notify`: one
 * delivery of one payload to one target, redelivered on a schedule until acknowledged.
 */
import type { FieldIssue, NewTransaction, NotificationRequest } from '@accord/core';
import { NOTIFY_SCHEDULES, rulesOf, ValidationError } from '@accord/core';
import type { CreateContext } from './create-request.js';
import { checkHeaders, checkTargetField, fingerprintOf } from './create-request.js';
import type { PendingHost } from '../outbound/target-policy.js';
import { resolveDelay } from './delivery-request.js';

/** The branch id of a notification's single delivery op. */
export const NOTIFY_BRANCH_ID = 'notify';

/** Validates and resolves a notification request; throws a {@link ValidationError}. */
export async function toNewNotification(
  body: NotificationRequest,
  ctx: CreateContext,
): Promise<NewTransaction> {
  const issues: FieldIssue[] = [];
  const pending: PendingHost[] = [];
  checkTargetField(ctx, body.url, '/url', issues, pending, rulesOf('notify').allowsBrokerTargets);
  checkHeaders(body.headers ?? {}, issues, '/headers');
  const delay = resolveDelay(body, '', rulesOf('notify').delaysDelivery, ctx.now(), issues);
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
      ...delay,
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
