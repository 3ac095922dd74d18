/**
 * A tap on the relays' publishers, for the tests and the demo: it records every publish
 * of every relay (to show that no message is in flight from two relays at once), and it
 * can make a relay die mid-publish, right after the broker confirmed a message and before
 * the relay records it as sent.
 */
import type { OutboxMessage, OutboxPublisher } from '@accord/client/outbox';

/** One finished publish. */
export interface TappedPublish {
  /** The relay that published (its owner name). */
  readonly relay: string;
  readonly id: string;
  /** True if the broker confirmed it. */
  readonly ok: boolean;
  /** When the publish started and when the broker answered (or it failed), epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
}

/** The error a frozen publish ends with once released: its process is gone. */
export class RelayKilled extends Error {
  readonly code = 'RELAY_KILLED';

  constructor(relay: string) {
    super(`relay ${relay} was killed mid-publish`);
    this.name = 'RelayKilled';
  }
}

/**
 * Shared by the relays of one run.
 *
 * @example
 * const tap = new PublishTap();
 * const relay = await startUserRelay({ ...options, owner: 'a', wrapPublisher: tap.wrap('a') });
 * tap.killAfterPublish('a'); // its next confirmed publish is never recorded
 */
export class PublishTap {
  /** Every publish that reached the broker or failed, in order of completion. */
  readonly finished: TappedPublish[] = [];
  /** Message ids whose publish started while another publish of them was in flight. */
  readonly overlaps: string[] = [];
  readonly #inFlight = new Set<string>();
  readonly #kills = new Map<string, number>();
  readonly #frozen: Array<{ relay: string; id: string; release: () => void }> = [];

  /** A `wrapPublisher` for the relay named `relay`. */
  wrap(relay: string): (publisher: OutboxPublisher) => OutboxPublisher {
    return (inner) => ({
      publish: async (message: OutboxMessage) => {
        if (this.#inFlight.has(message.id)) this.overlaps.push(message.id);
        this.#inFlight.add(message.id);
        const startedAt = Date.now();
        const done = (ok: boolean) =>
          this.finished.push({ relay, id: message.id, ok, startedAt, endedAt: Date.now() });
        try {
          await inner.publish(message);
          done(true);
        } catch (error) {
          done(false);
          throw error;
        } finally {
          this.#inFlight.delete(message.id);
        }
        const kills = this.#kills.get(relay) ?? 0;
        if (kills > 0) {
          this.#kills.set(relay, kills - 1);
          // As good as dead: the message is at the broker, the row still claimed.
          await new Promise<void>((_, reject) =>
            this.#frozen.push({
              relay,
              id: message.id,
              release: () => reject(new RelayKilled(relay)),
            }),
          );
        }
      },
    });
  }

  /** The next `count` confirmed publishes of `relay` freeze before they are recorded. */
  killAfterPublish(relay: string, count = 1): void {
    this.#kills.set(relay, (this.#kills.get(relay) ?? 0) + count);
  }

  /** The publishes frozen right now (their relay "dead"), oldest first. */
  get frozen(): ReadonlyArray<{ readonly relay: string; readonly id: string }> {
    return this.#frozen.map(({ relay, id }) => ({ relay, id }));
  }

  /**
   * Ends every frozen publish with {@link RelayKilled}, so their relays can be stopped.
   * The rows are not touched: another relay's claim now holds them, and the failure is
   * fenced off.
   */
  releaseFrozen(): void {
    for (const f of this.#frozen.splice(0)) f.release();
  }

  /** Confirmed publishes of `id`, from any relay. */
  confirmed(id?: string): TappedPublish[] {
    return this.finished.filter((p) => p.ok && (id === undefined || p.id === id));
  }
}
