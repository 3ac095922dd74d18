/**
 * Publishes outbox messages to NATS JetStream, with the outbox id as `Nats-Msg-Id` so the
 * stream drops a republished message within its duplicate window.
 */
import { PublishError, type PublishErrorCode } from './publish-error.js';
import type { OutboxMessage, OutboxPublisher } from './types.js';

/** Headers of a NATS message (what nats' `headers()` returns fits). */
export interface NatsHeadersLike {
  set(key: string, value: string): void;
}

/** The acknowledgement of a JetStream publish (nats' `PubAck` fits). */
export interface PubAckLike {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

/** What the publisher needs of a JetStream client (`connection.jetstream()`). */
export interface JetStreamLike {
  publish(
    subject: string,
    payload: Uint8Array,
    options?: { msgID?: string; timeout?: number; headers?: NatsHeadersLike },
  ): Promise<PubAckLike>;
}

/** Options of {@link natsPublisher}. */
export interface NatsPublisherOptions {
  /** Subject of a message (default: its topic). A stream must capture it. */
  subject?: (message: OutboxMessage) => string;
  /** Longest wait for the stream's acknowledgement, ms (default 10000). */
  timeoutMs?: number;
  /**
   * Makes an empty header set (pass nats' `headers` function) to carry the message's
   * headers; without it they are not sent.
   */
  headers?: () => NatsHeadersLike;
  /** Told of each acknowledgement, e.g. to count duplicates the stream dropped. */
  onAck?: (ack: PubAckLike, message: OutboxMessage) => void;
}

const encoder = new TextEncoder();

/** nats error codes with a meaning of their own. */
const CODES: Partial<Record<string, PublishErrorCode>> = {
  // No responders: no stream captures the subject.
  '503': 'PUBLISH_UNROUTABLE',
  TIMEOUT: 'PUBLISH_TIMEOUT',
  CONNECTION_CLOSED: 'PUBLISH_DISCONNECTED',
  CONNECTION_DRAINING: 'PUBLISH_DISCONNECTED',
  DISCONNECT: 'PUBLISH_DISCONNECTED',
};

/**
 * A publisher to NATS JetStream. Resolves once the stream has stored the message (or
 * recognised it as a duplicate of one it stored: republishing is safe within the stream's
 * `duplicate_window`). No stream for the subject, a timeout or a lost connection throw,
 * and the relay retries.
 *
 * @example
 * import { connect, headers } from 'nats';
 * const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
 * const publisher = natsPublisher(nc.jetstream(), { subject: (m) => `events.${m.topic}`, headers });
 */
export function natsPublisher(
  js: JetStreamLike,
  options: NatsPublisherOptions = {},
): OutboxPublisher {
  const timeout = options.timeoutMs ?? 10_000;
  const subjectOf = options.subject ?? ((m: OutboxMessage) => m.topic);
  return {
    async publish(message) {
      const subject = subjectOf(message);
      let hdrs: NatsHeadersLike | undefined;
      if (options.headers) {
        hdrs = options.headers();
        for (const [key, value] of Object.entries(message.headers)) hdrs.set(key, value);
      }
      let ack: PubAckLike;
      try {
        ack = await js.publish(subject, encoder.encode(message.payloadJson), {
          msgID: message.id,
          timeout,
          ...(hdrs ? { headers: hdrs } : {}),
        });
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        const code = CODES[String((error as { code?: unknown }).code)] ?? 'PUBLISH_REJECTED';
        throw new PublishError(code, `JetStream publish to "${subject}" failed: ${why}`, {
          cause: error,
        });
      }
      options.onAck?.(ack, message);
    },
  };
}
