/**
 * Topics of two-phase messages (DTM's `subscribe`): a named list of subscriber URLs, kept
 * as one key-value entry per topic in the store, so every coordinator instance sharing
 * the store sees the same subscribers at once (DTM caches them per instance and refreshes
 * on a timer). Changes are compare-and-set on the entry's version, retried when another
 * writer moved it first, so concurrent subscriptions are never lost.
 */
import type { KeyValueEntry, KeyValueStore } from '@accord/core';

/** The namespace of the topic entries. */
export const TOPICS_NAMESPACE = 'dtm.topics';

/** One subscriber: where deliveries go, and a note for people. */
export interface Subscriber {
  readonly url: string;
  readonly remark: string;
}

/** Bounds of topics and subscribers. */
export const TOPIC_LIMITS = {
  /** Characters of a topic name. */
  name: 200,
  /** Subscribers of one topic (each becomes a delivery step of every message). */
  subscribers: 100,
  /** Characters of a remark. */
  remark: 1000,
} as const;

/** The outcome of a change that DTM may refuse, with DTM's words for the refusal. */
export type TopicChange = { readonly ok: true } | { readonly ok: false; readonly refusal: string };

const OK: TopicChange = { ok: true };
const refused = (refusal: string): TopicChange => ({ ok: false, refusal });

/** Writers that lose this many compare-and-set rounds in a row give up. */
const MAX_ROUNDS = 50;

/** Why a topic name is unusable, or null. */
export function topicNameProblem(name: string): string | null {
  if (name === '') return 'is required';
  if (name.length > TOPIC_LIMITS.name) return `must be at most ${TOPIC_LIMITS.name} characters`;
  // A `/` could not be named in DELETE /topic/:name; control characters help nobody.
  if (/[/\p{Cc}]/u.test(name)) return 'must not contain "/" or control characters';
  return null;
}

function subscribersOf(entry: KeyValueEntry | undefined): Subscriber[] {
  const value = entry?.value as { subscribers?: Subscriber[] } | undefined;
  return value?.subscribers ?? [];
}

/** The topics kept in a store's key-value entries. */
export class TopicRegistry {
  constructor(private readonly kv: KeyValueStore) {}

  /** The subscribers of a topic, in subscription order; undefined when there is no topic. */
  async subscribers(topic: string): Promise<Subscriber[] | undefined> {
    const entry = await this.kv.get(TOPICS_NAMESPACE, topic);
    return entry && subscribersOf(entry);
  }

  /** Adds a subscriber, creating the topic if needed; refused if the URL is subscribed. */
  subscribe(topic: string, subscriber: Subscriber): Promise<TopicChange> {
    return this.change(topic, (current) => {
      const list = current ?? [];
      if (list.some((s) => s.url === subscriber.url)) return refused('this url exists');
      if (list.length >= TOPIC_LIMITS.subscribers) {
        return refused(`a topic has at most ${TOPIC_LIMITS.subscribers} subscribers`);
      }
      return [...list, subscriber];
    });
  }

  /**
   * Removes a subscriber; refused when there is no such topic or URL. The topic stays,
   * empty, until deleted (as in DTM).
   */
  unsubscribe(topic: string, url: string): Promise<TopicChange> {
    return this.change(topic, (current) => {
      if (current === undefined) return refused('no such a topic');
      if (current.length === 0) return refused('this topic is empty');
      const rest = current.filter((s) => s.url !== url);
      return rest.length === current.length ? refused('no such an url') : rest;
    });
  }

  /** Deletes a topic with its subscribers (as DTM does); refused when there is none. */
  async deleteTopic(topic: string): Promise<TopicChange> {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const entry = await this.kv.get(TOPICS_NAMESPACE, topic);
      if (!entry) return refused('no such a topic');
      if (await this.kv.delete(TOPICS_NAMESPACE, topic, entry.version)) return OK;
    }
    throw new Error(`topic ${topic}: too many concurrent changes`);
  }

  /** Read, decide, compare-and-set; again from the read when another writer won. */
  private async change(
    topic: string,
    decide: (current: Subscriber[] | undefined) => Subscriber[] | TopicChange,
  ): Promise<TopicChange> {
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const entry = await this.kv.get(TOPICS_NAMESPACE, topic);
      const next = decide(entry && subscribersOf(entry));
      if (!Array.isArray(next)) return next;
      const value = { subscribers: next };
      const written = entry
        ? await this.kv.update(TOPICS_NAMESPACE, topic, value, entry.version)
        : await this.kv.create(TOPICS_NAMESPACE, topic, value);
      if (written) return OK;
    }
    throw new Error(`topic ${topic}: too many concurrent changes`);
  }
}
