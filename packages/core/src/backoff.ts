import type { RetryPolicy } from './protocol.js';

/** Defaults of the native protocol (design §3). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 5 * 60_000,
  jitter: 0.2,
  ongoingDelayMs: 1_000,
  maxAttempts: 30,
};

/**
 * Delay before the next attempt after `failures` consecutive failures (1 = first retry):
 * `firstDelayMs * factor^(failures-1)`, capped at `maxDelayMs`, spread by ±`jitter`.
 * `random` is a number in [0, 1), injected so the function stays pure.
 */
export function backoffDelay(policy: RetryPolicy, failures: number, random: number): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(policy.maxDelayMs, policy.firstDelayMs * Math.pow(policy.factor, exponent));
  const spread = base * policy.jitter * (2 * random - 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelayMs, base + spread)));
}
