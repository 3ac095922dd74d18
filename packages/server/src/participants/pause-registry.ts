/**
 * The shared list of paused participants: kept in the store's key-value part (namespace
 * `participants.paused`, one entry per `host:port`), so every coordinator instance on the
 * store sees the same pauses and a restart keeps them. Each instance reads the list on an
 * interval and hands it to its gate; a pause or resume made here applies here at once.
 */
import type { Clock, KeyValueStore } from '@accord/core';
import { PeriodicTask } from '../engine/periodic-task.js';
import type { ParticipantGate, PauseInfo } from './participant-gate.js';

/** The key-value namespace of the pause list. */
export const PAUSE_NAMESPACE = 'participants.paused';

/** How often a compare-and-set that lost a race is tried again. */
const CAS_ROUNDS = 8;

/** What the registry works with. */
export interface PauseRegistryDeps {
  readonly kv: KeyValueStore;
  readonly gate: ParticipantGate;
  readonly clock: Clock;
  /** How often the list is read again, ms. */
  readonly refreshMs: number;
  /** Told of a failed read (the last list read stays in force). */
  readonly onError: (error: unknown) => void;
}

/** Pauses and resumes participants for every instance on the store. */
export class PauseRegistry {
  private readonly task: PeriodicTask;
  private current = new Map<string, PauseInfo>();
  /** Raised by every change made here: a read that began before it is stale. */
  private changes = 0;

  constructor(private readonly deps: PauseRegistryDeps) {
    this.task = new PeriodicTask(async () => {
      try {
        await this.refresh();
      } catch (error) {
        deps.onError(error);
      }
      return deps.refreshMs;
    }, false);
  }

  /** Starts reading the list on the interval (the first read at once). */
  start(): void {
    this.task.start();
  }

  /** Stops reading (and waits for a read under way). */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** Reads the whole list from the store and applies it. */
  async refresh(): Promise<void> {
    const next = new Map<string, PauseInfo>();
    const changes = this.changes;
    let after: string | undefined;
    do {
      const page = await this.deps.kv.list(PAUSE_NAMESPACE, { after, limit: 1000 });
      for (const entry of page.items) next.set(entry.key, pauseInfoOf(entry.value));
      after = page.nextAfter ?? undefined;
    } while (after !== undefined);
    if (changes === this.changes) this.apply(next);
  }

  /** Pauses a participant (again, with a new reason, if it is paused already). */
  async pause(host: string, by: string, reason: string): Promise<void> {
    const info: PauseInfo = { by, reason, at: this.deps.clock.now() };
    const { kv } = this.deps;
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const existing = await kv.get(PAUSE_NAMESPACE, host);
      const written = existing
        ? await kv.update(PAUSE_NAMESPACE, host, info, existing.version)
        : await kv.create(PAUSE_NAMESPACE, host, info);
      if (written) {
        this.apply(new Map(this.current).set(host, info));
        return;
      }
    }
    throw new Error(`the pause of ${host} kept changing under concurrent writes`);
  }

  /** Resumes a participant; resuming one that is not paused changes nothing. */
  async resume(host: string): Promise<void> {
    const { kv } = this.deps;
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const existing = await kv.get(PAUSE_NAMESPACE, host);
      if (!existing || (await kv.delete(PAUSE_NAMESPACE, host, existing.version))) {
        const next = new Map(this.current);
        next.delete(host);
        this.apply(next);
        return;
      }
    }
    throw new Error(`the pause of ${host} kept changing under concurrent writes`);
  }

  private apply(next: Map<string, PauseInfo>): void {
    this.changes += 1;
    this.current = next;
    this.deps.gate.setPaused(next);
  }
}

/** A stored pause, read defensively: an entry written by hand still pauses. */
function pauseInfoOf(value: unknown): PauseInfo {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    by: typeof v['by'] === 'string' ? v['by'] : 'unknown',
    reason: typeof v['reason'] === 'string' ? v['reason'] : '',
    at: typeof v['at'] === 'number' ? v['at'] : 0,
  };
}
