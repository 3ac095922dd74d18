/**
 * Resolves a translated DTM body into a {@link NewTransaction}: the native checks run on
 * it, then DTM's raw payload texts and the `dtm` calling convention are put in place.
 */
import type { FieldIssue, NewTransaction } from '@accord/core';
import { ValidationError } from '@accord/core';
import type { CreateContext, CreateVariant } from '../create-request.js';
import { fingerprintOf, toNewTransaction } from '../create-request.js';
import type { DtmCreate } from './dtm-body.js';

/** Native field paths, renamed to the DTM fields they came from. */
const DTM_PATHS: ReadonlyArray<readonly [string, string]> = [
  ['/checkUrl', '/query_prepared'],
  ['/options/headers', '/branch_headers'],
  ['/options/timeoutMs', '/timeout_to_fail'],
  ['/options/requestTimeoutMs', '/request_timeout'],
  ['/options/retry/maxAttempts', '/retry_limit'],
  ['/options/retry', '/retry_interval'],
  ['/options/delayMs', '/custom_data/delay'],
];

/** Renames the issues' paths to DTM's field names. */
export function inDtmTerms(issues: readonly FieldIssue[]): FieldIssue[] {
  return issues.map((issue) => {
    const rename = DTM_PATHS.find(([from]) => issue.path.startsWith(from));
    return rename ? { ...issue, path: rename[1] + issue.path.slice(rename[0].length) } : issue;
  });
}

/** The new transaction a DTM body describes; throws a {@link ValidationError} in DTM's terms. */
export async function dtmNewTransaction(
  dtm: DtmCreate,
  ctx: CreateContext,
  variant: CreateVariant = {},
): Promise<NewTransaction> {
  let spec: NewTransaction;
  try {
    spec = await toNewTransaction(dtm.body, ctx, variant);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(inDtmTerms(error.issues));
    throw error;
  }
  const text = (i: number) => dtm.payloads[i] ?? '';
  return {
    ...spec,
    steps: spec.steps.map((step, i) => ({
      ...step,
      action: { ...step.action, payload: text(i) },
      compensate: step.compensate && { ...step.compensate, payload: text(i) },
    })),
    options: {
      ...spec.options,
      dialect: 'dtm',
      ...(dtm.binary ? { payloadEncoding: 'base64' as const } : {}),
    },
    fingerprint: fingerprintOf({
      dialect: 'dtm',
      ...dtm.body,
      payloads: dtm.payloads,
      ...(dtm.binary ? { binary: true } : {}),
    }),
  };
}
