/**
 * Publishes outbox messages to NATS JetStream, with the outbox id as `Nats-Msg-Id` so the
 * stream drops a republished message within its duplicate window. The publish itself is
 * the coordinator's (`@accord/protocol/brokers`).
 */
import {
  publishToStream,
  streamFailure,
  type JetStreamLike,
  type NatsHeadersLike,
  type PubAckLike,
  type StreamFailureKind,
} from '@accord/protocol/brokers';
import { PublishError, type PublishErrorCode } from './publish-error.js';
import type { OutboxMessage, OutboxPublisher } from './types.js';

export type { JetStreamLike, NatsHeadersLike, PubAckLike };

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

/** The outbox's code for each way a JetStream publish fails. */
const CODES: Readonly<Record<StreamFailureKind, PublishErrorCode>> = {
  // No responders: no stream captures the subject.
  'no-stream': 'PUBLISH_UNROUTABLE',
  timeout: 'PUBLISH_TIMEOUT',
  disconnected: 'PUBLISH_DISCONNECTED',
  refused: 'PUBLISH_REJECTED',
  other: 'PUBLISH_REJECTED',
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
      let ack: PubAckLike;
      try {
        ack = await publishToStream(
          js,
          subject,
          { id: message.id, body: message.payloadJson, headers: message.headers },
          { timeoutMs: timeout, headers: options.headers },
        );
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new PublishError(
          CODES[streamFailure(error).kind],
          `JetStream publish to "${subject}" failed: ${why}`,
          { cause: error },
        );
      }
      options.onAck?.(ack, message);
    },
  };
}
