/**
 * Shapes shared by every outbox and inbox dialect and every publisher.
 */
import type { Clock } from '@accord/core';

/**
 * A message to write with `outbox.add`, in the caller's own local transaction.
 *
 * @example
 * const message: OutboxMessageInput<{ userId: string }> = {
 *   topic: 'user.created',
 *   payload: { userId },
 *   headers: { 'x-tenant': 'acme' },
 * };
 */
export interface OutboxMessageInput<P = unknown> {
  /**
   * Unique message id, at most 128 characters, no surrounding whitespace. Default: a
   * time-ordered UUIDv7. Publishers pass it on (AMQP `messageId`, NATS `Nats-Msg-Id`, the
   * `accord-message-id` HTTP header, the coordinator gid) so consumers can deduplicate.
   */
  id?: string;
  /** Where the message goes: a topic, routing key, subject or logical destination. */
  topic: string;
  /** Any JSON-serialisable value; stored as JSON text. */
  payload: P;
  /** String headers passed on by the publishers; names starting with `accord-` are reserved. */
  headers?: Record<string, string>;
  /** Publish no earlier than this many ms from now (default 0). */
  delayMs?: number;
}

/** A message as a relay hands it to a publisher. */
export interface OutboxMessage {
  readonly id: string;
  readonly topic: string;
  /** The payload, parsed from {@link OutboxMessage.payloadJson}. */
  readonly payload: unknown;
  /** The payload exactly as stored: publish these bytes rather than re-serialising. */
  readonly payloadJson: string;
  readonly headers: Readonly<Record<string, string>>;
  /** When `outbox.add` ran, epoch ms. */
  readonly createdAt: number;
  /** 1 for the first publish attempt, 2 for the first retry, … */
  readonly attempt: number;
}

/**
 * Sends one message somewhere. Resolves once the destination has durably taken it; throws
 * on any failure, after which the relay retries with backoff. May be called again for a
 * message it already published (at-least-once), so pass the message id on.
 *
 * @example
 * const logPublisher: OutboxPublisher = {
 *   async publish(message) { console.log(message.topic, message.payloadJson); },
 * };
 */
export interface OutboxPublisher {
  publish(message: OutboxMessage): Promise<void>;
}

/** Backoff between failed publish attempts of one message. */
export interface RelayRetryOptions {
  /** Delay after the first failure, ms (default 1000). */
  firstDelayMs?: number;
  /** Growth of the delay per further failure (default 2). */
  factor?: number;
  /** Cap of one delay, ms (default 300000). */
  maxDelayMs?: number;
  /** Random spread of each delay, a fraction in [0, 1] (default 0.2, i.e. ±20 %). */
  jitter?: number;
  /**
   * Attempts before the message is left `dead` and reported to `onDead` (default: retry
   * forever). Attempts whose relay died mid-publish count too.
   */
  maxAttempts?: number;
}

/** Where in a relay's cycle an error happened. */
export interface RelayErrorInfo {
  /**
   * `claim`: reading due rows failed (database unreachable, …); `publish`: the publisher
   * threw; `record`: writing an outcome back failed (the row is published again once its
   * lease expires).
   */
  readonly stage: 'claim' | 'publish' | 'record';
  /** The message concerned, for `publish` and `record`. */
  readonly message?: OutboxMessage;
}

/** Options of a relay, whatever the dialect. */
export interface RelayOptions {
  /** Where messages go. */
  publisher: OutboxPublisher;
  /** Rows claimed per cycle (default 50). */
  batchSize?: number;
  /** Pause after a cycle that found fewer than `batchSize` due rows, ms (default 1000). */
  intervalMs?: number;
  /**
   * How long a claim holds its rows, ms (default 30000). Another relay may take them once
   * it expires, so the relay starts no publish with less than half of it left: every
   * publish must settle within `leaseMs / 2` (give publishers a shorter timeout).
   */
  leaseMs?: number;
  /** Publishes in flight at once within a batch (default 1: in order of creation). */
  concurrency?: number;
  retry?: RelayRetryOptions;
  /** This relay's name in `lease_owner` (default: host, pid and a random suffix). */
  owner?: string;
  /** false: no background loop; drive the relay with `runOnce()` (default true). */
  autoStart?: boolean;
  /**
   * Told of every failure. The relay never throws from its loop; the failed row keeps its
   * `last_error` and is retried. Default: ignore.
   */
  onError?: (error: unknown, info: RelayErrorInfo) => void;
  /** Told of a message given up after `retry.maxAttempts` (its row is left `dead`). */
  onDead?: (message: OutboxMessage, error: unknown) => void;
  /** Time source (default: the system clock). */
  clock?: Clock;
  /** Random numbers in [0, 1) for the backoff jitter (default `Math.random`). */
  random?: () => number;
}

/** A running relay. */
export interface OutboxRelay {
  /** The `lease_owner` this relay writes. */
  readonly owner: string;
  /**
   * Claims one batch of due rows and publishes it; resolves to the number published.
   * Throws only when the claim itself fails.
   */
  runOnce(): Promise<number>;
  /** Starts the next cycle now instead of after the pause (e.g. right after a commit). */
  wake(): void;
  /**
   * Stops the loop: publishes in flight finish and are recorded; claimed rows not yet
   * started are handed back at once.
   */
  stop(): Promise<void>;
}

/** Options of an outbox. */
export interface OutboxOptions {
  /** Table name, optionally schema-qualified (default `accord_outbox`). */
  table?: string;
  /** Time source for `created_at`, `available_at` and default ids (default: system clock). */
  clock?: Clock;
}

/**
 * What an inbox run did, in the barrier's style: either the message was new and `fn`'s
 * value is returned, or it was seen before and `fn` did not run.
 *
 * @example
 * const r = await inbox.consume(client, message.id, () => grantPoints(client, userId));
 * if (!r.applied) log.info(`skipped: ${r.reason}`);
 */
export type InboxResult<T> =
  | { readonly applied: true; readonly value: T }
  | { readonly applied: false; readonly reason: 'duplicate' };

/** Options of an inbox. */
export interface InboxOptions {
  /** Table name, optionally schema-qualified (default `accord_inbox`). */
  table?: string;
  /**
   * Who consumes: message ids are deduplicated per consumer, so several services (or
   * handlers) can share one table (default `default`).
   */
  consumer?: string;
  /** Time source for `created_at` (default: the system clock). */
  clock?: Clock;
}
