/**
 * One publish to NATS JetStream, as the coordinator's deliveries and the SDK's outbox
 * relay both need it: the message id goes out as `Nats-Msg-Id` (the stream drops a repeat
 * inside its duplicate window), and it counts only on the stream's acknowledgement.
 */

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

/** What a publish needs of a JetStream client (`connection.jetstream()`). */
export interface JetStreamLike {
  publish(
    subject: string,
    payload: Uint8Array,
    options?: { msgID?: string; timeout?: number; headers?: NatsHeadersLike },
  ): Promise<PubAckLike>;
}

/** One message for {@link publishToStream}. */
export interface StreamMessage {
  /** Sent as `Nats-Msg-Id`. */
  readonly id: string;
  /** UTF-8 text; empty for no body. */
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Options of {@link publishToStream}. */
export interface StreamPublishOptions {
  /** Longest wait for the acknowledgement, ms. */
  readonly timeoutMs: number;
  /** Makes an empty header set (nats' `headers`); without it no headers are sent. */
  readonly headers?: (() => NatsHeadersLike) | undefined;
  /** Header names not to copy from the message. */
  readonly skipHeader?: ((name: string) => boolean) | undefined;
  /** Also sends `content-type: application/json` when the body is not empty. */
  readonly jsonContentType?: boolean | undefined;
}

const encoder = new TextEncoder();

/**
 * Publishes `message` to `subject` and resolves to the stream's acknowledgement; the
 * client's errors are thrown as they are (see {@link streamFailure}).
 *
 * @example
 * const ack = await publishToStream(nc.jetstream(), 'orders.created', { id, body, headers: {} }, { timeoutMs: 5000 });
 */
export async function publishToStream(
  js: JetStreamLike,
  subject: string,
  message: StreamMessage,
  options: StreamPublishOptions,
): Promise<PubAckLike> {
  let headers: NatsHeadersLike | undefined;
  if (options.headers !== undefined) {
    headers = options.headers();
    for (const [key, value] of Object.entries(message.headers)) {
      if (options.skipHeader?.(key) !== true) headers.set(key, value);
    }
    if (options.jsonContentType === true && message.body !== '') {
      headers.set('content-type', 'application/json');
    }
  }
  return js.publish(subject, encoder.encode(message.body), {
    msgID: message.id,
    timeout: options.timeoutMs,
    ...(headers !== undefined && { headers }),
  });
}

/**
 * Why a JetStream publish failed. `refused`: the stream answered with an error (`detail`
 * is its description); `no-stream`: no stream captures the subject (no responders);
 * `timeout`; `disconnected`: the connection closed, drained or dropped; `other`.
 */
export type StreamFailureKind = 'refused' | 'no-stream' | 'timeout' | 'disconnected' | 'other';

const BY_CODE: Readonly<Record<string, StreamFailureKind>> = {
  '503': 'no-stream',
  TIMEOUT: 'timeout',
  CONNECTION_CLOSED: 'disconnected',
  CONNECTION_DRAINING: 'disconnected',
  DISCONNECT: 'disconnected',
};

/**
 * Classifies an error thrown by a JetStream publish.
 *
 * @example
 * streamFailure(error); // { kind: 'no-stream', detail: '503' }
 */
export function streamFailure(error: unknown): { kind: StreamFailureKind; detail: string } {
  const api = (error as { api_error?: { description?: unknown } } | null)?.api_error;
  if (typeof api?.description === 'string') return { kind: 'refused', detail: api.description };
  const code = String((error as { code?: unknown } | null)?.code);
  const why = error instanceof Error ? error.message : String(error);
  return { kind: BY_CODE[code] ?? 'other', detail: why };
}
