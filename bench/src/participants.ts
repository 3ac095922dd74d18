/**
 * The two benchmark participants, run in a worker thread (see `participant-worker.ts`):
 * this side starts the worker, hands out their URLs and reads their call counters.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** The participants: A is called first, then B. */
export type ParticipantName = 'a' | 'b';

/** Calls one participant received, by the last path segment of the URL. */
export interface CallCounts {
  action: number;
  compensate: number;
  other: number;
  /** Calls whose body was not valid JSON. */
  badBody: number;
}

/** Messages from the host to the worker. */
export type ToWorker = { type: 'stats' } | { type: 'reset' } | { type: 'stop' };

/** Messages from the worker to the host. */
export type ToParent =
  | { type: 'ready'; ports: Record<ParticipantName, number> }
  | { type: 'stats'; counts: Record<ParticipantName, CallCounts> }
  | { type: 'reset' };

/** Running participants. */
export interface Participants {
  /** Base URL of each, e.g. `http://127.0.0.1:40123/a`; POST `<base>/action` or `<base>/compensate`. */
  readonly urls: Record<ParticipantName, string>;
  /** Calls received since the last {@link Participants.resetCounts}. */
  counts(): Promise<Record<ParticipantName, CallCounts>>;
  resetCounts(): Promise<void>;
  stop(): Promise<void>;
}

/** How long the worker may take to answer a message (or to start). */
const REPLY_TIMEOUT_MS = 10_000;

/** Starts participants A and B on free 127.0.0.1 ports in a worker thread. */
export async function startParticipants(): Promise<Participants> {
  const worker = new Worker(new URL('./participant-worker.js', import.meta.url));
  let failure: Error | null = null;
  worker.on('error', (error) => {
    failure = error;
  });
  const next = async <T extends ToParent['type']>(type: T) => {
    for (;;) {
      const signal = AbortSignal.timeout(REPLY_TIMEOUT_MS);
      const [message] = (await once(worker, 'message', { signal })) as [ToParent];
      if (message.type === type) return message as Extract<ToParent, { type: T }>;
    }
  };
  const ask = <T extends ToParent['type'] & ToWorker['type']>(type: T) => {
    if (failure) return Promise.reject(failure);
    const reply = next(type);
    worker.postMessage({ type } satisfies ToWorker);
    return reply;
  };
  const { ports } = await next('ready');
  const base = (name: ParticipantName) => `http://127.0.0.1:${ports[name]}/${name}`;
  return {
    urls: { a: base('a'), b: base('b') },
    counts: async () => (await ask('stats')).counts,
    resetCounts: async () => {
      await ask('reset');
    },
    async stop() {
      const exited = once(worker, 'exit');
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
