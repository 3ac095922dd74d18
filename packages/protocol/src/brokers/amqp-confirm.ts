/**
 * One publish on an AMQP confirm channel, as the coordinator's deliveries and the SDK's
 * outbox relay both need it: sent `mandatory`, it counts only once the broker confirms it,
 * and a message the broker returned (no queue took it) or nacked is a failure.
 */

/** A message the broker handed back (amqplib's `Message` fits). */
export interface ReturnedMessageLike {
  readonly properties: { readonly messageId?: unknown };
}

/** The publish options Accord sets (a subset of amqplib's `Options.Publish`). */
export interface AmqpPublishOptions {
  persistent: boolean;
  mandatory: boolean;
  messageId: string;
  contentType?: string;
  type?: string;
  timestamp: number;
  headers: Record<string, string>;
}

/**
 * What a publish needs of an amqplib `ConfirmChannel` (from
 * `connection.createConfirmChannel()`).
 */
export interface ConfirmChannelLike {
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: AmqpPublishOptions,
    callback: (error: unknown) => void,
  ): boolean;
  on(event: 'return' | 'close' | 'error', listener: (value?: unknown) => void): unknown;
  close(): Promise<void>;
}

/**
 * How one publish ended: confirmed, or why not. `unroutable`: the broker returned it (no
 * queue bound); `nacked`: the broker refused to store it; `closed`: the channel went away
 * before the confirm; `thrown`: the channel refused the publish outright; `abandoned`: the
 * caller's check before sending said no (`message` is its reason).
 */
export type ConfirmOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unroutable' }
  | { readonly ok: false; readonly reason: 'nacked' | 'closed' | 'thrown'; readonly error: unknown }
  | { readonly ok: false; readonly reason: 'abandoned'; readonly message: string };

/** A publish awaiting its confirm; `returned` is set if the broker sent it back. */
interface InFlight {
  returned: boolean;
  readonly done: Promise<void>;
}

/** amqplib's error for a nack; any other confirm error means the channel closed. */
const NACKED = 'message nacked';

/**
 * A confirm channel and what it has said: the messages it returned, and whether it has
 * closed. At most one publish per message id is in flight at a time, so a `basic.return`
 * (which names only the id) lands on exactly one publish.
 *
 * @example
 * const confirmed = new ConfirmedChannel(await connection.createConfirmChannel());
 * const outcome = await confirmed.publish('events', 'user.created', body, options);
 */
export class ConfirmedChannel {
  /** Set once the channel has closed; it is not reopened in place. */
  closed = false;
  private readonly inFlight = new Map<string, InFlight>();

  constructor(readonly channel: ConfirmChannelLike) {
    channel.on('return', (message) => {
      const id = (message as ReturnedMessageLike | undefined)?.properties.messageId;
      const entry = typeof id === 'string' ? this.inFlight.get(id) : undefined;
      if (entry !== undefined) entry.returned = true;
    });
    channel.on('close', () => {
      this.closed = true;
    });
  }

  /**
   * Publishes `content` once no earlier publish of the same message id is in flight, and
   * resolves when the broker has confirmed or refused it. `beforeSend`, called right
   * before sending, may abandon the publish by returning a reason. Never rejects.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: AmqpPublishOptions,
    beforeSend?: () => string | null,
  ): Promise<ConfirmOutcome> {
    const id = options.messageId;
    for (let earlier = this.inFlight.get(id); earlier; earlier = this.inFlight.get(id)) {
      await earlier.done;
    }
    const abandon = beforeSend?.() ?? null;
    if (abandon !== null) return { ok: false, reason: 'abandoned', message: abandon };
    return new Promise<ConfirmOutcome>((resolve) => {
      let finish!: () => void;
      const entry: InFlight = { returned: false, done: new Promise<void>((r) => (finish = r)) };
      this.inFlight.set(id, entry);
      const settle = (outcome: ConfirmOutcome): void => {
        if (this.inFlight.get(id) === entry) this.inFlight.delete(id);
        finish();
        resolve(outcome);
      };
      try {
        this.channel.publish(exchange, routingKey, content, options, (error: unknown) => {
          // The broker sends basic.return before the confirm of the same message.
          if (error !== null && error !== undefined) {
            const nacked = error instanceof Error && error.message === NACKED;
            settle({ ok: false, reason: nacked ? 'nacked' : 'closed', error });
          } else if (entry.returned) {
            settle({ ok: false, reason: 'unroutable' });
          } else {
            settle({ ok: true });
          }
        });
      } catch (error) {
        settle({ ok: false, reason: 'thrown', error });
      }
    });
  }
}
