/**
 * Test support (not a test file): small fixtures for the state-machine tests: scripted
 * participant replies, options, steps and registrations.
 */
import { DEFAULT_RETRY_POLICY } from '../../src/backoff.js';
import type { Mode, OpName, Outcome, RetryPolicy, TransactionOptions } from '../../src/protocol.js';
import { newOp, type NewTransaction, type StepSpec } from '../../src/machine/create.js';
import type { MachineEvent } from '../../src/machine/types.js';

/** A scripted reply of a participant. */
export type Scripted = 'success' | 'failure' | 'ongoing' | 'error' | 'timeout';

/** The outcome an executor reports for a scripted reply. */
export function outcomeOf(reply: Scripted): Outcome {
  switch (reply) {
    case 'success':
      return { kind: 'success', httpStatus: 200, message: null };
    case 'failure':
      return { kind: 'failure', httpStatus: 409, message: 'refused' };
    case 'ongoing':
      return { kind: 'ongoing', httpStatus: 425, message: null };
    case 'error':
      return { kind: 'error', httpStatus: 500, message: 'internal error' };
    case 'timeout':
      return { kind: 'error', httpStatus: null, message: 'request timed out' };
  }
}

/** Resolved options with small, test-friendly defaults. */
export function testOptions(
  overrides: Partial<Omit<TransactionOptions, 'retry'>> & { retry?: Partial<RetryPolicy> } = {},
): TransactionOptions {
  return {
    requestTimeoutMs: 3_000,
    timeoutMs: null,
    concurrent: false,
    headers: {},
    ...overrides,
    retry: { ...DEFAULT_RETRY_POLICY, ...overrides.retry },
  };
}

/** A create request for `mode` with the given steps. */
export function newTransaction(
  mode: Mode,
  steps: readonly StepSpec[],
  options: TransactionOptions = testOptions(),
  gid = 'g1',
): NewTransaction {
  return {
    gid,
    mode,
    options,
    checkUrl: mode === 'msg' ? CHECK_URL : null,
    steps,
    fingerprint: 'fp',
  };
}

/** The check-back URL of every test msg transaction. */
export const CHECK_URL = 'http://producer.test/check';

/** A saga/msg step `id` with targets derived from the id. */
export function step(
  id: string,
  extra: { compensate?: boolean; dependsOn?: readonly string[]; maxAttempts?: number } = {},
): StepSpec {
  return {
    id,
    action: { url: `http://svc.test/${id}/action`, payload: `{"step":"${id}"}` },
    compensate:
      extra.compensate === false
        ? undefined
        : { url: `http://svc.test/${id}/compensate`, payload: `{"step":"${id}"}` },
    dependsOn: extra.dependsOn,
    maxAttempts: extra.maxAttempts,
  };
}

/** A tcc `register` event for branch `id`; `variant` changes the payload (a different body). */
export function registerEvent(
  id: string,
  variant = 0,
  ops: readonly [OpName, OpName] = ['confirm', 'cancel'],
): MachineEvent {
  const payload = `{"branch":"${id}","v":${variant}}`;
  return {
    type: 'register',
    ops: ops.map((op) => newOp(id, op, { url: `http://svc.test/${id}/${op}`, payload }, 0, 0)),
  };
}

/** Small deterministic PRNG (mulberry32), so runs replay from their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
