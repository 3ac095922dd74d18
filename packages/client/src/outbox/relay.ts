/**
 * The relay loop, the same for every dialect: claim a batch of due rows under a lease,
 * publish each outside any database transaction, then record the outcome.
 *
 * Why a lease rather than holding row locks while publishing: a `FOR UPDATE` lock kept
 * across a network call to a broker ties up a connection and an open transaction for as
 * long as the broker takes (or forever, if the relay hangs), and its rows stay locked
 * against the producer's own maintenance. Instead the claim locks the due rows with
 * `SKIP LOCKED` (so concurrent claimers pass over each other's rows instead of waiting),
 * stamps them with a lease (`lease_owner`, `lease_until`, and `available_at` moved to the
 * lease's end) and bumps `attempts`, then commits at once. A row under a live lease is
 * not due, so no other relay takes it; a relay that dies leaves rows that fall due again
 * when the lease ends: at-least-once.
 *
 * Fencing: `(lease_owner, attempts)` identifies one claim. A failure is written back only
 * if the row still carries this claim (a relay whose lease ran out must not reschedule a
 * row another relay now holds). A success is written whoever holds the row: the message
 * *was* published, so marking it sent is true, and it spares the current holder's retry
 * a duplicate. Publishes must settle within half the lease: the relay starts none with
 * less left, and hands such rows back instead, so two relays never publish one row at once.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { backoffDelay, systemClock, type RetryPolicy } from '@accord/core';
import type { ClaimedRow, ClaimKey, FailedUpdate, RelayStore } from './relay-store.js';
import { OUTBOX_LIMITS } from './sql.js';
import type { OutboxMessage, OutboxRelay, RelayErrorInfo, RelayOptions } from './types.js';
import { resolveRelayOptions } from './validate.js';

/** A relay's default owner name: host, pid and a random suffix. */
function defaultOwner(): string {
  const suffix = `:${process.pid}:${randomBytes(4).toString('hex')}`;
  return hostname().slice(0, OUTBOX_LIMITS.owner - suffix.length) + suffix;
}

/** `name: message (code)` of an error, cut to the `last_error` column's length. */
export function errorText(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const shown = typeof code === 'string' || typeof code === 'number' ? ` (${code})` : '';
    text = `${error.name}: ${error.message}${shown}`;
  } else {
    text = String(error);
  }
  return text.length > OUTBOX_LIMITS.error ? `${text.slice(0, OUTBOX_LIMITS.error - 1)}…` : text;
}

/** Parses a claimed row; throws if its stored JSON is broken (nothing a retry would fix). */
function toMessage(row: ClaimedRow): OutboxMessage {
  const headers = JSON.parse(row.headers) as unknown;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError(`headers of ${row.id} are not a JSON object`);
  }
  return {
    id: row.id,
    topic: row.topic,
    payload: JSON.parse(row.payload) as unknown,
    payloadJson: row.payload,
    headers: headers as Record<string, string>,
    createdAt: row.createdAt,
    attempt: row.attempts,
  };
}

/** Why a message was given up without a publish. */
class GaveUp extends Error {
  override readonly name = 'GaveUp';
}

/**
 * Starts a relay over `store` (the dialect's side). Options are checked at once
 * (`ValidationError`); the loop starts unless `autoStart` is false.
 */
export function startRelay(store: RelayStore, options: RelayOptions): OutboxRelay {
  const o = resolveRelayOptions(options);
  const owner = options.owner ?? defaultOwner();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const onError = options.onError ?? (() => undefined);
  const onDead = options.onDead ?? (() => undefined);
  const { publisher } = options;
  const policy: RetryPolicy = {
    firstDelayMs: o.retry.firstDelayMs,
    factor: o.retry.factor,
    maxDelayMs: o.retry.maxDelayMs,
    jitter: o.retry.jitter,
    ongoingDelayMs: o.retry.firstDelayMs,
    maxAttempts: o.retry.maxAttempts ?? Number.MAX_SAFE_INTEGER,
  };

  let stopping = false;
  let wakeUp: (() => void) | undefined;
  /** A wake() that came while no pause was running: skip the next pause. */
  let woken = false;
  const cycles = new Set<Promise<unknown>>();

  const report = (error: unknown, info: RelayErrorInfo): void => {
    try {
      onError(error, info);
    } catch {
      // A throwing listener must not stop the relay.
    }
  };

  const dead = (message: OutboxMessage, error: unknown): void => {
    try {
      onDead(message, error);
    } catch {
      // As for onError.
    }
  };

  /**
   * Runs a write-back; resolves to whether it applied. A failure is reported, and the
   * lease's end repairs it (the row is published again).
   */
  async function record(
    write: () => Promise<boolean>,
    message: OutboxMessage | undefined,
  ): Promise<boolean> {
    try {
      return await write();
    } catch (error) {
      report(error, message ? { stage: 'record', message } : { stage: 'record' });
      return false;
    }
  }

  /** Leaves a row dead without publishing it, and reports it if this claim still held. */
  async function giveUp(row: ClaimedRow, key: ClaimKey, attempts: number, error: unknown) {
    const update: FailedUpdate = {
      status: 'dead',
      attempts,
      availableAt: clock.now(),
      error: errorText(error),
    };
    if (!(await record(() => store.markFailed(key, update), undefined))) return;
    let message: OutboxMessage;
    try {
      message = toMessage(row);
    } catch {
      message = {
        id: row.id,
        topic: row.topic,
        payload: undefined,
        payloadJson: row.payload,
        headers: {},
        createdAt: row.createdAt,
        attempt: attempts,
      };
    }
    dead(message, error);
  }

  /** One claimed row: publish and record; true if this relay published it. */
  async function handle(row: ClaimedRow, leaseUntil: number): Promise<boolean> {
    const key: ClaimKey = { id: row.id, owner, attempts: row.attempts };
    const now = clock.now();
    if (stopping || leaseUntil - now < o.leaseMs / 2) {
      await record(() => store.release(key, now), undefined);
      return false;
    }
    const max = o.retry.maxAttempts;
    if (max !== undefined && row.attempts > max) {
      // Earlier attempts never reported back (their relays died mid-publish).
      await giveUp(row, key, row.attempts - 1, new GaveUp(`no outcome after ${max} attempts`));
      return false;
    }
    let message: OutboxMessage;
    try {
      message = toMessage(row);
    } catch (error) {
      await giveUp(row, key, row.attempts, error);
      return false;
    }
    try {
      await publisher.publish(message);
    } catch (error) {
      const exhausted = max !== undefined && row.attempts >= max;
      const failedAt = clock.now();
      const written = await record(
        () =>
          store.markFailed(key, {
            status: exhausted ? 'dead' : 'pending',
            attempts: row.attempts,
            availableAt: exhausted
              ? failedAt
              : failedAt + backoffDelay(policy, row.attempts, random()),
            error: errorText(error),
          }),
        message,
      );
      report(error, { stage: 'publish', message });
      if (exhausted && written) dead(message, error);
      return false;
    }
    await record(() => store.markSent(row.id, clock.now()), message);
    return true;
  }

  async function cycle(): Promise<{ claimed: number; sent: number }> {
    const now = clock.now();
    const leaseUntil = now + o.leaseMs;
    const rows = await store.claim(owner, now, leaseUntil, o.batchSize);
    const ordered = [...rows].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    let next = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      for (let row = ordered[next++]; row !== undefined; row = ordered[next++]) {
        if (await handle(row, leaseUntil)) sent += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, ordered.length) }, worker));
    return { claimed: rows.length, sent };
  }

  function tracked<T>(promise: Promise<T>): Promise<T> {
    cycles.add(promise);
    void promise.then(
      () => cycles.delete(promise),
      () => cycles.delete(promise),
    );
    return promise;
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let claimed = 0;
      try {
        claimed = (await tracked(cycle())).claimed;
      } catch (error) {
        report(error, { stage: 'claim' });
      }
      if (!stopping && claimed < o.batchSize && !woken) await pause(o.intervalMs);
      woken = false;
    }
  }

  const looping = options.autoStart === false ? Promise.resolve() : loop();

  return {
    owner,
    async runOnce() {
      if (stopping) throw new Error('outbox relay stopped');
      return (await tracked(cycle())).sent;
    },
    wake() {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    async stop() {
      stopping = true;
      wakeUp?.();
      await looping;
      await Promise.allSettled([...cycles]);
    },
  };
}
