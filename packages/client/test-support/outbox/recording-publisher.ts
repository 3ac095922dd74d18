/**
 * A publisher for the outbox's own tests: records every publish, notices when one id is
 * in flight twice at once, and can be told to fail or hang. Not part of the public API.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { OutboxMessage, OutboxPublisher } from '../../src/outbox/types.js';

/** What a test can make one publish do. */
export type PublishBehaviour = 'ok' | 'hang' | Error;

/** Shared state of the publishers of one test. */
export class PublishRecorder {
  /** Every message whose publish resolved, in order, with who published it. */
  readonly published: { by: string; message: OutboxMessage }[] = [];
  /** Every publish started, failed ones and hung ones included. */
  readonly started: { by: string; id: string }[] = [];
  /** Ids seen in flight while already in flight (must stay empty). */
  readonly overlaps: string[] = [];
  readonly inFlight = new Set<string>();
  /** Decides each publish (default: ok). */
  behaviour: (message: OutboxMessage) => PublishBehaviour = () => 'ok';
  /** Async pause inside each publish, ms (0: one macrotask), so publishes interleave. */
  delayMs = 0;
  readonly #hung: ((error?: Error) => void)[] = [];

  /** A publisher recording under the name `by`. */
  publisher(by = 'relay'): OutboxPublisher {
    return {
      publish: async (message) => {
        this.started.push({ by, id: message.id });
        if (this.inFlight.has(message.id)) this.overlaps.push(message.id);
        this.inFlight.add(message.id);
        try {
          await new Promise((r) => setTimeout(r, this.delayMs));
          const behaviour = this.behaviour(message);
          if (behaviour === 'hang') {
            await new Promise<void>((resolve, reject) =>
              this.#hung.push((error) => (error ? reject(error) : resolve())),
            );
          } else if (behaviour instanceof Error) throw behaviour;
          this.published.push({ by, message });
        } finally {
          this.inFlight.delete(message.id);
        }
      },
    };
  }

  /** Ids published (resolved), in order. */
  ids(by?: string): string[] {
    return this.published.filter((p) => by === undefined || p.by === by).map((p) => p.message.id);
  }

  /** Number of publishes hanging right now. */
  get hanging(): number {
    return this.#hung.length;
  }

  /** Lets the publish that has hung longest resolve, or fail with `error`. */
  releaseOldest(error?: Error): void {
    this.#hung.shift()?.(error);
  }

  /** Lets every hanging publish resolve, or fail with `error`. */
  releaseHung(error?: Error): void {
    for (const release of this.#hung.splice(0)) release(error);
  }
}

/**
 * A publisher that appends `S <id> <owner>` when a publish starts and `E <id> <owner>`
 * when it ends to a file several processes share (appends of a line are atomic).
 */
export function loggingPublisher(log: string, owner: string): OutboxPublisher {
  return {
    async publish(message) {
      appendFileSync(log, `S ${message.id} ${owner}\n`);
      await new Promise((r) => setTimeout(r, 1));
      appendFileSync(log, `E ${message.id} ${owner}\n`);
    },
  };
}

/** What a shared publish log shows. */
export interface PublishLog {
  /** Ids whose publish started while another publish of them was in flight. */
  readonly overlaps: string[];
  /** How many publishes each id had. */
  readonly counts: Map<string, number>;
  /** Publishes per owner. */
  readonly byOwner: Map<string, number>;
}

/** Replays a log written by {@link loggingPublisher}. */
export function readPublishLog(log: string): PublishLog {
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  const counts = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [event, id = '', owner = ''] = line.split(' ');
    if (event === 'S') {
      if (inFlight.has(id)) overlaps.push(id);
      inFlight.add(id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
    } else if (event === 'E') {
      inFlight.delete(id);
    }
  }
  return { overlaps, counts, byOwner };
}
