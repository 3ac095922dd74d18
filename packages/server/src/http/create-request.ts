/**
 * Turns a structurally valid create request into a {@link NewTransaction}: mode rules,
 * URL and outbound-policy checks, the step graph, options merged with server defaults,
 * and the fingerprint that makes repeated creates idempotent.
 */
import { createHash } from 'node:crypto';
import type {
  CreateTransactionRequest,
  FieldIssue,
  NewTransaction,
  StepSpec,
  TransactionOptions,
} from '@accord/core';
import { checkLabels, checkStepGraph, modesWhere, rulesOf, ValidationError } from '@accord/core';
import type { ModeRules } from '@accord/core';
import type { ServerConfig } from '../config/config.js';
import { isBrokerTarget } from '../brokers/broker-target.js';
import type { PendingHost, TargetPolicy } from '../outbound/target-policy.js';
import { resolveDelay } from './delivery-request.js';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'traceparent',
  'tracestate',
]);

/** Serialises JSON with sorted keys, so equal bodies hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The brokers configured on the server, as target validation sees them. */
export interface BrokerTargets {
  /** Why a `broker://` target cannot be used, or null when it can. */
  validateTarget(url: string): string | null;
}

/**
 * Hash of what identifies a create request (its canonical JSON), so a repeated create is
 * idempotent and a different one under the same id a conflict.
 */
export function fingerprintOf(identity: unknown): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('base64url');
}

/** Where outbound URLs are checked and defaults come from. */
export interface CreateContext {
  readonly config: Pick<ServerConfig, 'defaults'>;
  readonly policy: TargetPolicy;
  /** Configured brokers; null when none are. */
  readonly brokers: BrokerTargets | null;
  /** Makes a gid when the request has none. */
  readonly newGid: () => string;
  /** The coordinator's clock, ms (a `deliverAt` is checked against it). */
  readonly now: () => number;
}

/**
 * Checks an HTTP branch URL; adds an issue at `path` if it is unusable, and its host to
 * `pending` if only resolving it can tell (see {@link TargetPolicy.checkPending}).
 */
export function checkUrlField(
  policy: TargetPolicy,
  value: string,
  path: string,
  issues: FieldIssue[],
  pending: PendingHost[],
): void {
  const problem = policy.checkUrl(value, { path, list: pending });
  if (problem) issues.push({ path, message: problem });
}

/**
 * Checks a delivery target, which may name a broker: only deliveries that need no answer
 * (msg steps, notifications) can go to one.
 */
export function checkTargetField(
  ctx: Pick<CreateContext, 'policy' | 'brokers'>,
  value: string,
  path: string,
  issues: FieldIssue[],
  pending: PendingHost[],
  brokerAllowed: boolean,
): void {
  if (!isBrokerTarget(value)) return checkUrlField(ctx.policy, value, path, issues, pending);
  if (!brokerAllowed) {
    issues.push({ path, message: 'broker targets are only used by msg steps and notifications' });
    return;
  }
  const problem =
    ctx.brokers === null
      ? 'names a broker, but none is configured (set ACCORD_BROKERS)'
      : ctx.brokers.validateTarget(value);
  if (problem) issues.push({ path, message: problem });
}

/** Characters an HTTP header value cannot carry (the outbound client refuses them). */
const HEADER_VALUE_FORBIDDEN = /[^\t\x20-\x7e\x80-\xff]/;

/** Checks caller-set headers (names, reserved names, sendable values) under `base`. */
export function checkHeaders(
  headers: Record<string, string>,
  issues: FieldIssue[],
  base = '/options/headers',
): void {
  for (const [name, value] of Object.entries(headers)) {
    const path = `${base}/${name}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) issues.push({ path, message: 'is not a valid header name' });
    else if (lower.startsWith('accord-') || RESERVED_HEADERS.has(lower)) {
      issues.push({ path, message: 'is reserved and cannot be set' });
    }
    if (HEADER_VALUE_FORBIDDEN.test(value)) {
      issues.push({
        path,
        message: 'must not contain line breaks, control characters or characters past U+00FF',
      });
    }
  }
}

function payloadText(payload: unknown): string {
  return payload === undefined ? '' : JSON.stringify(payload);
}

/** Variations of the create request the compatibility surfaces need. */
export interface CreateVariant {
  /**
   * A msg submitted in the same request that creates it needs no check-back URL: it is
   * never left prepared waiting for a submit.
   */
  readonly submittedAtOnce?: boolean;
}

/** Where a mode not created through `/v1/transactions` is created instead. */
const CREATED_BY: Record<ModeRules['createdThrough'], string> = {
  transactions: 'transactions are created with POST /v1/transactions',
  notifications: 'notifications are created with POST /v1/notifications',
  'tcc-rest': 'tcc-rest transactions are created with PUT /tcc/coordinator/confirm or /cancel',
};

/** Validates the request's semantics and resolves it; throws a {@link ValidationError}. */
export async function toNewTransaction(
  body: CreateTransactionRequest,
  ctx: CreateContext,
  variant: CreateVariant = {},
): Promise<NewTransaction> {
  const issues: FieldIssue[] = [];
  const pending: PendingHost[] = [];
  const steps = body.steps ?? [];
  const { mode } = body;
  const rules = rulesOf(mode);
  if (rules.createdThrough !== 'transactions') {
    issues.push({ path: '/mode', message: CREATED_BY[rules.createdThrough] });
  } else if (rules.registersBranches) {
    if (body.steps !== undefined) {
      issues.push({
        path: '/steps',
        message: `${mode} transactions register branches instead of steps`,
      });
    }
  } else if (steps.length === 0) {
    issues.push({ path: '/steps', message: `a ${mode} needs at least one step` });
  }
  const checksBack = (r: ModeRules) => r.onPreparedTimeout === 'check';
  if (checksBack(rules)) {
    if (body.checkUrl === undefined) {
      if (!variant.submittedAtOnce)
        issues.push({ path: '/checkUrl', message: `is required for ${mode}` });
    } else checkUrlField(ctx.policy, body.checkUrl, '/checkUrl', issues, pending);
  } else if (body.checkUrl !== undefined) {
    const users = modesWhere(checksBack).join(', ');
    issues.push({ path: '/checkUrl', message: `is only used by ${users} transactions` });
  }
  const specs: StepSpec[] = steps.map((step, i) => {
    const action = `/steps/${i}/action`;
    checkTargetField(ctx, step.action, action, issues, pending, rules.allowsBrokerTargets);
    if (step.compensate !== undefined) {
      if (!rules.stepsCompensate) {
        issues.push({ path: `/steps/${i}/compensate`, message: 'is only used by sagas' });
      } else checkUrlField(ctx.policy, step.compensate, `/steps/${i}/compensate`, issues, pending);
    }
    const payload = payloadText(step.payload);
    return {
      id: step.id ?? String(i + 1).padStart(2, '0'),
      action: { url: step.action, payload },
      compensate: step.compensate === undefined ? undefined : { url: step.compensate, payload },
      dependsOn: step.dependsOn,
      maxAttempts: step.maxAttempts,
    };
  });
  issues.push(...checkStepGraph(specs));
  checkHeaders(body.options?.headers ?? {}, issues);
  if (body.labels !== undefined) issues.push(...checkLabels(body.labels));
  const retry = { ...ctx.config.defaults.retry, ...body.options?.retry };
  if (retry.maxDelayMs < retry.firstDelayMs) {
    issues.push({
      path: '/options/retry/maxDelayMs',
      message: 'must not be less than firstDelayMs',
    });
  }
  const delay = resolveDelay(
    body.options ?? {},
    '/options',
    rules.delaysDelivery,
    ctx.now(),
    issues,
  );
  if (issues.length === 0) issues.push(...(await ctx.policy.checkPending(pending)));
  if (issues.length > 0) throw new ValidationError(issues);

  const defaults = ctx.config.defaults;
  const defaultTimeout = rules.startsPrepared ? defaults.preparedTimeoutMs : defaults.sagaTimeoutMs;
  const options: TransactionOptions = {
    requestTimeoutMs: body.options?.requestTimeoutMs ?? defaults.requestTimeoutMs,
    retry,
    timeoutMs: body.options?.timeoutMs === undefined ? defaultTimeout : body.options.timeoutMs,
    concurrent: body.options?.concurrent ?? false,
    headers: body.options?.headers ?? {},
    ...delay,
  };
  const { waitResult: _wait, gid: _gid, ...identity } = body;
  const fingerprint = fingerprintOf(identity);
  return {
    gid: body.gid ?? ctx.newGid(),
    mode,
    options,
    checkUrl: body.checkUrl ?? null,
    steps: specs,
    fingerprint,
    labels: body.labels ?? {},
  };
}

/** Milliseconds to wait for a result, from a `waitResult` field and the server cap. */
export function waitMs(waitResult: boolean | number | undefined, capMs: number): number | null {
  if (waitResult === undefined || waitResult === false) return null;
  if (waitResult === true) return capMs;
  return Math.min(waitResult, capMs);
}
