/**
 * Translates DTM's transaction body (as DTM's SDKs send it to prepare and submit) into
 * the native create request. Pure: no I/O; checks that only a running server can make
 * (URLs, outbound policy, the step graph) happen afterwards in `toNewTransaction`.
 */
import type { CreateTransactionRequest, FieldIssue, Mode } from '@accord/core';
import { MAX_DELIVERY_DELAY_MS, ValidationError } from '@accord/core';
import { DTM_LIMITS, ID_PATTERN } from '@accord/core/schemas';

/** The transaction body of DTM's HTTP API, as far as Accord reads it. */
export interface DtmTransBody {
  gid?: unknown;
  trans_type?: unknown;
  steps?: unknown;
  payloads?: unknown;
  custom_data?: unknown;
  query_prepared?: unknown;
  wait_result?: unknown;
  timeout_to_fail?: unknown;
  request_timeout?: unknown;
  retry_interval?: unknown;
  branch_headers?: unknown;
  retry_limit?: unknown;
  rollback_reason?: unknown;
  concurrent?: unknown;
  [other: string]: unknown;
}

/** What a DTM body becomes: the native request plus what stays beside it. */
export interface DtmCreate {
  /** The native create request, payloads left out (see `payloads`). */
  readonly body: CreateTransactionRequest & {
    steps?: NonNullable<CreateTransactionRequest['steps']>;
  };
  /** Each step's payload text exactly as DTM sent it (DTM payloads are strings). */
  readonly payloads: readonly string[];
  /** The payloads are base64 texts of binary messages (DTM's gRPC API). */
  readonly binary?: boolean;
  readonly waitResult: boolean;
  readonly rollbackReason: string | null;
  /** The creating request's headers, for its trace context (`traceparent`, `tracestate`). */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** DTM's trans types Accord runs, and the mode each becomes. */
export const TRANS_TYPES: Readonly<Record<string, Mode>> = {
  saga: 'saga',
  tcc: 'tcc',
  xa: 'xa',
  msg: 'msg',
};

const SECONDS = 1000;

/** DTM's step id: the 1-based index, two digits (`01`, `02`, …). */
export function dtmStepId(index: number): string {
  return String(index + 1).padStart(2, '0');
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function seconds(
  value: unknown,
  path: string,
  max: number,
  issues: FieldIssue[],
): number | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    issues.push({ path, message: `must be a whole number of seconds up to ${max}` });
    return undefined;
  }
  return value * SECONDS;
}

/** Reads `custom_data` (a JSON text): saga `concurrent` and `orders`, msg `delay`. */
function customData(
  raw: unknown,
  issues: FieldIssue[],
): { concurrent?: boolean; orders?: Record<string, unknown>; delay?: unknown } {
  if (raw === undefined || raw === '') return {};
  if (typeof raw !== 'string') {
    issues.push({ path: '/custom_data', message: 'must be a JSON text' });
    return {};
  }
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed;
    }
  } catch {
    // reported below
  }
  issues.push({ path: '/custom_data', message: 'must be a JSON object in text' });
  return {};
}

/**
 * Step dependencies from DTM's `orders`: `{"2": [0, 1]}` makes step index 2 wait for
 * steps 0 and 1 (indexes are 0-based in DTM; ids are 1-based).
 */
function dependencies(
  orders: Record<string, unknown>,
  count: number,
  issues: FieldIssue[],
): Map<number, string[]> {
  const deps = new Map<number, string[]>();
  for (const [key, value] of Object.entries(orders)) {
    const path = `/custom_data/orders/${key}`;
    const index = Number(key);
    const valid = (n: unknown): n is number =>
      typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < count;
    if (!valid(index)) {
      issues.push({ path, message: `is not a step index (0 to ${count - 1})` });
    } else if (!Array.isArray(value) || !value.every(valid)) {
      issues.push({ path, message: `must list step indexes (0 to ${count - 1})` });
    } else {
      deps.set(index, value.map(dtmStepId));
    }
  }
  return deps;
}

/** Reads the steps and their payloads (`payloads[i]`, or a step's own `data`). */
function readSteps(body: DtmTransBody, issues: FieldIssue[]) {
  if (body.steps === undefined || body.steps === null) return { steps: [], payloads: [] };
  if (!Array.isArray(body.steps) || !body.steps.every(isStringMap)) {
    issues.push({ path: '/steps', message: 'must be a list of objects with string values' });
    return { steps: [], payloads: [] };
  }
  const given = body.payloads ?? [];
  if (!Array.isArray(given) || !given.every((p) => typeof p === 'string')) {
    issues.push({ path: '/payloads', message: 'must be a list of strings' });
    return { steps: [], payloads: [] };
  }
  const steps = body.steps;
  const payloads = steps.map((step, i) => given[i] ?? step['data'] ?? '');
  steps.forEach((step, i) => {
    if (!step['action']) issues.push({ path: `/steps/${i}/action`, message: 'is required' });
  });
  return { steps, payloads };
}

/**
 * Translates a DTM transaction body into a native create request, or throws a
 * {@link ValidationError} naming DTM's own fields.
 *
 * @example
 * toDtmCreate({ gid: 'g1', trans_type: 'saga', steps: [{ action: u, compensate: c }],
 *   payloads: ['{"amount":30}'] }, 300_000);
 */
export function toDtmCreate(body: DtmTransBody, maxDelayMs: number): DtmCreate {
  const issues: FieldIssue[] = [];
  if (typeof body.gid !== 'string' || body.gid === '') {
    issues.push({ path: '/gid', message: 'is required (get one from newGid)' });
  } else if (body.gid.length > 128 || !new RegExp(ID_PATTERN).test(body.gid)) {
    issues.push({ path: '/gid', message: 'must be 1 to 128 of A-Z a-z 0-9 . _ : -' });
  }
  const transType = body.trans_type;
  const mode = typeof transType === 'string' ? TRANS_TYPES[transType] : undefined;
  if (transType === 'workflow') {
    issues.push({
      path: '/trans_type',
      message: "DTM's workflow mode is not supported: use saga, tcc, xa or msg",
    });
  } else if (mode === undefined) {
    issues.push({ path: '/trans_type', message: 'must be one of saga, tcc, xa, msg' });
  }
  const { steps, payloads } = readSteps(body, issues);
  const custom = customData(body.custom_data, issues);
  // msg: delivery due this many seconds after the submit (DTM's delayed message).
  const delayMs = seconds(
    custom.delay,
    '/custom_data/delay',
    MAX_DELIVERY_DELAY_MS / SECONDS,
    issues,
  );
  const concurrent = body.concurrent === true || custom.concurrent === true;
  const deps =
    concurrent && custom.orders !== undefined
      ? dependencies(custom.orders, steps.length, issues)
      : new Map<number, string[]>();
  const timeoutMs = seconds(
    body.timeout_to_fail,
    '/timeout_to_fail',
    DTM_LIMITS.timeout_to_fail,
    issues,
  );
  const requestTimeoutMs = seconds(
    body.request_timeout,
    '/request_timeout',
    DTM_LIMITS.request_timeout,
    issues,
  );
  const intervalMs = seconds(
    body.retry_interval,
    '/retry_interval',
    DTM_LIMITS.retry_interval,
    issues,
  );
  const limit = body.retry_limit;
  if (
    limit !== undefined &&
    limit !== 0 &&
    (!Number.isInteger(limit) ||
      (limit as number) < 1 ||
      (limit as number) > DTM_LIMITS.retry_limit)
  ) {
    issues.push({
      path: '/retry_limit',
      message: `must be a whole number from 1 to ${DTM_LIMITS.retry_limit}`,
    });
  }
  const headers = body.branch_headers ?? {};
  if (!isStringMap(headers)) {
    issues.push({ path: '/branch_headers', message: 'must map header names to strings' });
  }
  if (body.query_prepared !== undefined && typeof body.query_prepared !== 'string') {
    issues.push({ path: '/query_prepared', message: 'must be a URL' });
  }
  if (body.rollback_reason !== undefined && typeof body.rollback_reason !== 'string') {
    issues.push({ path: '/rollback_reason', message: 'must be a string' });
  }
  if (issues.length > 0) throw new ValidationError(issues);

  const retry = {
    ...(intervalMs === undefined
      ? {}
      : {
          firstDelayMs: intervalMs,
          ongoingDelayMs: intervalMs,
          maxDelayMs: Math.max(maxDelayMs, intervalMs),
        }),
    ...(typeof limit === 'number' && limit > 0 ? { maxAttempts: limit } : {}),
  };
  const native: DtmCreate['body'] = {
    gid: body.gid as string,
    mode: mode!,
    ...(steps.length > 0
      ? {
          steps: steps.map((step, i) => ({
            id: dtmStepId(i),
            action: step['action']!,
            ...(step['compensate'] ? { compensate: step['compensate'] } : {}),
            ...(deps.has(i) ? { dependsOn: deps.get(i) } : {}),
          })),
        }
      : {}),
    ...(body.query_prepared ? { checkUrl: body.query_prepared as string } : {}),
    options: {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
      concurrent,
      headers: headers as Record<string, string>,
      retry,
      ...(delayMs === undefined ? {} : { delayMs }),
    },
  };
  return {
    body: native,
    payloads,
    waitResult: body.wait_result === true,
    rollbackReason: typeof body.rollback_reason === 'string' ? body.rollback_reason : null,
  };
}
