/**
 * Publishes to NATS JetStream: a message counts as delivered only on a PubAck from the
 * stream that captures its subject. The message id goes out as `Nats-Msg-Id`, so the
 * stream drops a repeat inside its duplicate window. Streams are created by operators,
 * never here. The nats client is loaded with the first connection, so importing this
 * module costs nothing.
 */
import type * as Nats from 'nats';
import type { ConnectionOptions, JetStreamClient, MsgHdrs, NatsConnection } from 'nats';
import { publishToStream, streamFailure } from './jetstream.js';
import {
  errorText,
  publishWithin,
  type Attempt,
  type BrokerMessage,
  type PublishResult,
} from './publish-within.js';
import { redactBrokerUrl } from './redact-url.js';
import { SharedLink } from './shared-link.js';

/** Settings of a {@link NatsPublisher}. */
export interface NatsPublisherOptions {
  /** Broker name, used in messages. */
  readonly name: string;
  /** `nats://[user:pass@|token@]host[:port]`, or `tls://...` to require TLS. */
  readonly url: string;
  /** Bound on one connection attempt, ms (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Pause between reconnection attempts, ms (default 1000). */
  readonly reconnectWaitMs?: number;
  /** Interval of client pings, ms (default 10 000): detects a silently dead server. */
  readonly pingIntervalMs?: number;
}

/** One client connection and whether it is up right now. */
interface Link {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** The client's header factory. */
  readonly headers: () => MsgHdrs;
  connected: boolean;
  /** Set once the client gave up for good (closed). */
  dead: boolean;
  /** Last disconnect or error the client reported. */
  reason: string | null;
  /** Woken on every reconnect. */
  readonly waiters: Set<() => void>;
}

/**
 * `Nats-*` headers steer JetStream (message id, expectations, rollups that purge a
 * subject, TTLs), so a transaction's headers may not set them.
 */
const JETSTREAM_HEADERS = /^nats-/i;

/**
 * A NATS JetStream publisher that owns its connection. Never throws; every failure is a
 * result with a precise message.
 *
 * @example
 * const stream = new NatsPublisher({ name: 'stream', url: 'nats://127.0.0.1:4222' });
 * await stream.publish('orders.created', { id, body, headers: {} }, 5000);
 */
export class NatsPublisher {
  private readonly label: string;
  private readonly links = new SharedLink<Link>(() => this.open());

  constructor(private readonly options: NatsPublisherOptions) {
    this.label = `NATS broker "${options.name}"`;
  }

  /** Publishes to `subject` and waits for the stream's PubAck, at most `timeoutMs`. */
  async publish(
    subject: string,
    message: BrokerMessage,
    timeoutMs: number,
  ): Promise<PublishResult> {
    return publishWithin(
      timeoutMs,
      (attempt) => this.send(subject, message, attempt, timeoutMs),
      (phase) => `${this.label}: timed out after ${timeoutMs} ms ${phase}`,
      (error) => this.describe(error, subject, timeoutMs),
    );
  }

  /** Closes the connection; later publishes fail. */
  async close(): Promise<void> {
    await this.links.close((link) => link.nc.close());
  }

  private async send(
    subject: string,
    message: BrokerMessage,
    attempt: Attempt,
    timeoutMs: number,
  ): Promise<PublishResult> {
    attempt.phase = `connecting to ${redactBrokerUrl(this.options.url)}`;
    const link = await this.links.get();
    if (!link.connected) {
      // Nothing is handed to the client while it is down: it would send it after the
      // reconnect, long after this publish was reported as failed.
      attempt.phase = `waiting to reconnect (${link.reason ?? 'disconnected'})`;
      await reconnection(link, attempt.remaining());
      if (!link.connected) throw new Error(`timed out after ${timeoutMs} ms ${attempt.phase}`);
    }
    if (attempt.expired) return { ok: false, message: 'timed out before publishing' };
    attempt.phase = `waiting for a PubAck on subject "${subject}"`;
    const ack = await publishToStream(link.js, subject, message, {
      timeoutMs: Math.max(1, Math.floor(attempt.remaining())),
      headers: link.headers,
      skipHeader: (name) => JETSTREAM_HEADERS.test(name),
      jsonContentType: true,
    });
    return { ok: true, duplicate: ack.duplicate };
  }

  private async open(): Promise<Link> {
    let nc: NatsConnection;
    let nats: typeof Nats;
    try {
      nats = await import('nats');
      nc = await nats.connect(this.connectionOptions());
    } catch (error) {
      throw new Error(
        `cannot connect to ${redactBrokerUrl(this.options.url)}: ${errorText(error)}`,
        { cause: error },
      );
    }
    const link: Link = {
      nc,
      js: nc.jetstream(),
      headers: nats.headers,
      connected: true,
      dead: false,
      reason: null,
      waiters: new Set(),
    };
    void this.watch(link, nats.Events);
    void nc.closed().then((error) => {
      link.dead = true;
      link.connected = false;
      if (error) link.reason = errorText(error);
      this.links.forget(link);
      for (const wake of link.waiters) wake();
    });
    if (this.links.closed) {
      link.dead = true;
      await nc.close().catch(() => undefined);
      throw new Error('the publisher is closed');
    }
    return link;
  }

  /** Follows the client's status: connected or not, and the last reason it gave. */
  private async watch(link: Link, events: typeof Nats.Events): Promise<void> {
    try {
      for await (const status of link.nc.status()) {
        if (status.type === events.Disconnect) {
          link.connected = false;
          link.reason = `disconnected from ${describeStatus(status.data)}`;
        } else if (status.type === events.Reconnect) {
          link.connected = true;
          for (const wake of link.waiters) wake();
        } else if (status.type === events.Error) {
          link.reason = describeStatus(status.data);
        }
      }
    } catch {
      // The iterator only ends with the connection; closed() reports why.
    }
  }

  private connectionOptions(): ConnectionOptions {
    const url = new URL(this.options.url);
    const credentials: Partial<ConnectionOptions> =
      url.password !== ''
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : url.username !== ''
          ? { token: decodeURIComponent(url.username) }
          : {};
    return {
      servers: url.port === '' ? `${url.host}:4222` : url.host,
      name: `accord coordinator (${this.options.name})`,
      ...credentials,
      ...(url.protocol === 'tls:' ? { tls: {} } : {}),
      timeout: this.options.connectTimeoutMs ?? 5000,
      // Once connected, the client reconnects forever; a first connection that fails is
      // simply tried again by the next publish.
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.options.reconnectWaitMs ?? 1000,
      pingInterval: this.options.pingIntervalMs ?? 10_000,
      ignoreClusterUpdates: true,
    };
  }

  private describe(error: unknown, subject: string, timeoutMs: number): string {
    const failure = streamFailure(error);
    switch (failure.kind) {
      case 'refused':
        return `${this.label}: JetStream refused the message on "${subject}": ${failure.detail}`;
      case 'no-stream':
        return (
          `${this.label}: no JetStream stream captures subject "${subject}" (no responders); ` +
          'an operator must create a stream for it'
        );
      case 'timeout':
        return `${this.label}: timed out after ${timeoutMs} ms waiting for a PubAck on subject "${subject}"`;
      default:
        return `${this.label}: ${errorText(error)}`;
    }
  }
}

/** Resolves on the link's next reconnect (or its end), or after `ms`. */
function reconnection(link: Link, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      link.waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    link.waiters.add(done);
  });
}

function describeStatus(data: unknown): string {
  return typeof data === 'string' || typeof data === 'number' ? String(data) : JSON.stringify(data);
}
