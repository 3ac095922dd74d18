/**
 * Input checks at the outbox's boundary: a message, an inbox key and relay options, each
 * refused with a `ValidationError` naming every offending field and why.
 */
import { ValidationError, type FieldIssue } from '@accord/core';
import { outboxId } from './ids.js';
import { OUTBOX_LIMITS } from './sql.js';
import type { OutboxMessageInput, RelayOptions } from './types.js';

/** A message ready to insert. */
export interface NewOutboxRow {
  readonly id: string;
  readonly topic: string;
  readonly payload: string;
  readonly headers: string;
  readonly createdAt: number;
  readonly availableAt: number;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Control characters have no place in ids, topics or header values.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a key-like string (ids, consumers) is unusable, or undefined. */
export function keyProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if ([...value].length > max) return `must be at most ${max} characters`;
  if (value.trim() !== value) return 'must not start or end with whitespace';
  if (CONTROL.test(value)) return 'must not contain control characters';
  return undefined;
}

/** Throws a `ValidationError` when `value` is not a usable key. */
export function checkKey(path: string, value: unknown, max: number): asserts value is string {
  const problem = keyProblem(value, max);
  if (problem !== undefined) throw new ValidationError([{ path, message: problem }]);
}

/** Throws a `ValidationError` unless `ms` is an integer >= 0 (a purge age). */
export function checkAge(path: string, ms: unknown): asserts ms is number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
    throw new ValidationError([{ path, message: 'must be an integer >= 0' }]);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function payloadJson(payload: unknown, issues: FieldIssue[]): string {
  let text: string | undefined;
  try {
    // Typed as string, but undefined for undefined, functions and symbols.
    text = JSON.stringify(payload);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    issues.push({ path: 'payload', message: `must be JSON-serialisable (${why})` });
    return '';
  }
  if (text === undefined) {
    issues.push({ path: 'payload', message: `must be JSON-serialisable (got ${typeof payload})` });
    return '';
  }
  return text;
}

function headersJson(headers: unknown, issues: FieldIssue[]): string {
  if (headers === undefined) return '{}';
  if (!isPlainObject(headers)) {
    issues.push({ path: 'headers', message: 'must be an object of string values' });
    return '{}';
  }
  for (const [name, value] of Object.entries(headers)) {
    const path = `headers.${name}`;
    if (!HEADER_NAME.test(name)) issues.push({ path, message: 'is not a valid header name' });
    else if (name.toLowerCase().startsWith('accord-')) {
      issues.push({ path, message: 'is reserved (accord-*)' });
    }
    if (typeof value !== 'string') issues.push({ path, message: 'must be a string' });
    else if (CONTROL.test(value.replace(/\t/g, ' '))) {
      issues.push({ path, message: 'must not contain line breaks or control characters' });
    }
  }
  return JSON.stringify(headers);
}

/**
 * Checks a message and turns it into the row `add` inserts.
 *
 * @example
 * const row = toOutboxRow({ topic: 'user.created', payload: { id: 1 } }, Date.now());
 */
export function toOutboxRow(input: OutboxMessageInput, now: number): NewOutboxRow {
  if (!isPlainObject(input)) {
    throw new ValidationError([{ path: '', message: 'message must be an object' }]);
  }
  const issues: FieldIssue[] = [];
  const id = input.id ?? outboxId(now);
  const idProblem = keyProblem(id, OUTBOX_LIMITS.id);
  if (idProblem !== undefined) issues.push({ path: 'id', message: idProblem });
  const topic: unknown = input.topic;
  if (typeof topic !== 'string') issues.push({ path: 'topic', message: 'must be a string' });
  else if (topic.length === 0) issues.push({ path: 'topic', message: 'must not be empty' });
  else if ([...topic].length > OUTBOX_LIMITS.topic) {
    issues.push({ path: 'topic', message: `must be at most ${OUTBOX_LIMITS.topic} characters` });
  } else if (CONTROL.test(topic)) {
    issues.push({ path: 'topic', message: 'must not contain control characters' });
  }
  const payload = payloadJson(input.payload, issues);
  const headers = headersJson(input.headers, issues);
  const delay: unknown = input.delayMs ?? 0;
  if (typeof delay !== 'number' || !Number.isSafeInteger(delay) || delay < 0) {
    issues.push({ path: 'delayMs', message: 'must be an integer >= 0' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    id,
    topic: topic as string,
    payload,
    headers,
    createdAt: now,
    availableAt: now + (delay as number),
  };
}

/** Relay options with every default filled in and checked. */
export interface ResolvedRelayOptions {
  readonly batchSize: number;
  readonly intervalMs: number;
  readonly leaseMs: number;
  readonly concurrency: number;
  readonly retry: {
    readonly firstDelayMs: number;
    readonly factor: number;
    readonly maxDelayMs: number;
    readonly jitter: number;
    readonly maxAttempts: number | undefined;
  };
}

/** Defaults of a relay (see {@link RelayOptions}). */
export const RELAY_DEFAULTS = {
  batchSize: 50,
  intervalMs: 1_000,
  leaseMs: 30_000,
  concurrency: 1,
  retry: { firstDelayMs: 1_000, factor: 2, maxDelayMs: 300_000, jitter: 0.2 },
} as const;

function integerIn(
  issues: FieldIssue[],
  path: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    issues.push({ path, message: `must be an integer ${range}` });
  }
}

/**
 * Fills in a relay's defaults and checks every value.
 *
 * @example
 * resolveRelayOptions({ publisher, batchSize: 0 }); // throws: batchSize: must be an integer in 1..10000
 */
export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  const retry = { ...RELAY_DEFAULTS.retry, ...options.retry };
  const resolved = {
    batchSize: options.batchSize ?? RELAY_DEFAULTS.batchSize,
    intervalMs: options.intervalMs ?? RELAY_DEFAULTS.intervalMs,
    leaseMs: options.leaseMs ?? RELAY_DEFAULTS.leaseMs,
    concurrency: options.concurrency ?? RELAY_DEFAULTS.concurrency,
    retry: { ...retry, maxAttempts: retry.maxAttempts },
  };
  const issues: FieldIssue[] = [];
  const publisher = options.publisher as Partial<RelayOptions['publisher']> | undefined;
  if (typeof publisher?.publish !== 'function') {
    issues.push({ path: 'publisher', message: 'must have a publish(message) method' });
  }
  integerIn(issues, 'batchSize', resolved.batchSize, 1, 10_000);
  integerIn(issues, 'intervalMs', resolved.intervalMs, 1);
  integerIn(issues, 'leaseMs', resolved.leaseMs, 2);
  integerIn(issues, 'concurrency', resolved.concurrency, 1, 1_000);
  integerIn(issues, 'retry.firstDelayMs', retry.firstDelayMs, 0);
  integerIn(issues, 'retry.maxDelayMs', retry.maxDelayMs, 0);
  if (typeof retry.factor !== 'number' || !(retry.factor >= 1) || !Number.isFinite(retry.factor)) {
    issues.push({ path: 'retry.factor', message: 'must be a number >= 1' });
  }
  if (typeof retry.jitter !== 'number' || !(retry.jitter >= 0 && retry.jitter <= 1)) {
    issues.push({ path: 'retry.jitter', message: 'must be a number in [0, 1]' });
  }
  if (retry.maxAttempts !== undefined) integerIn(issues, 'retry.maxAttempts', retry.maxAttempts, 1);
  if (options.owner !== undefined) {
    const problem = keyProblem(options.owner, OUTBOX_LIMITS.owner);
    if (problem !== undefined) issues.push({ path: 'owner', message: problem });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return resolved;
}
