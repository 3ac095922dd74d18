/**
 * Each coordinator instance writes a heartbeat entry (namespace `instances`, key its lease
 * owner id) in the store's key-value port every few seconds, with the number of leases it
 * holds; the dashboard lists the entries seen recently. Entries of instances gone for
 * long are deleted by whichever instance notices.
 */
import type { KeyValueEntry, KeyValueStore } from '@accord/core';
import { PeriodicTask } from '../engine/periodic-task.js';

const NAMESPACE = 'instances';
/** How often an instance writes its entry, ms. */
export const HEARTBEAT_MS = 5_000;
/** An entry older than this is not listed (its instance stopped or cannot reach the store). */
const LISTED_FOR_MS = 30_000;
/** An entry older than this is deleted. */
const KEPT_FOR_MS = 10 * 60_000;
/** Most instances listed. */
const MAX_LISTED = 1000;

/** One instance as the stats reply lists it. */
export interface InstanceView {
  readonly nodeId: string;
  readonly self: boolean;
  readonly leases: number;
  readonly seenAt: number;
}

interface Beat {
  readonly leases: number;
  readonly seenAt: number;
}

function isBeat(value: unknown): value is Beat {
  const beat = value as Partial<Beat> | null;
  return typeof beat?.leases === 'number' && typeof beat.seenAt === 'number';
}

/** Writes this instance's heartbeat and reads everyone's. */
export class InstanceHeartbeat {
  readonly #task: PeriodicTask;
  #version: number | undefined;

  constructor(
    private readonly deps: {
      readonly kv: KeyValueStore;
      /** This instance's lease owner id. */
      readonly nodeId: string;
      readonly leases: () => number;
      readonly now: () => number;
      readonly onError: (error: unknown) => void;
    },
  ) {
    this.#task = new PeriodicTask(async () => {
      await this.beat().catch(deps.onError);
      return HEARTBEAT_MS;
    }, false);
  }

  /** Starts beating (the first beat at once). */
  start(): void {
    this.#task.start();
  }

  /** Stops beating and removes this instance's entry. */
  async stop(): Promise<void> {
    await this.#task.stop();
    const entry = await this.deps.kv.get(NAMESPACE, this.deps.nodeId).catch(() => undefined);
    if (entry) await this.deps.kv.delete(NAMESPACE, entry.key, entry.version).catch(() => false);
  }

  /** Writes this instance's entry now. */
  async beat(): Promise<void> {
    const { kv, nodeId } = this.deps;
    const value: Beat = { leases: this.deps.leases(), seenAt: this.deps.now() };
    const written =
      this.#version === undefined
        ? await kv.create(NAMESPACE, nodeId, value)
        : await kv.update(NAMESPACE, nodeId, value, this.#version);
    // Lost the race with an old entry of the same id (or someone removed it): start over.
    this.#version = written?.version;
    if (!written) {
      const entry = await kv.get(NAMESPACE, nodeId);
      if (entry)
        this.#version = (await kv.update(NAMESPACE, nodeId, value, entry.version))?.version;
      else this.#version = (await kv.create(NAMESPACE, nodeId, value))?.version;
    }
  }

  /** Instances seen recently, this one first; stale entries are deleted on the way. */
  async list(): Promise<InstanceView[]> {
    const now = this.deps.now();
    const entries: KeyValueEntry[] = [];
    let after: string | undefined;
    do {
      const page = await this.deps.kv.list(NAMESPACE, { after, limit: 500 });
      entries.push(...page.items);
      after = page.nextAfter ?? undefined;
    } while (after !== undefined && entries.length < MAX_LISTED);
    const views: InstanceView[] = [];
    for (const entry of entries) {
      if (!isBeat(entry.value)) continue;
      const age = now - entry.value.seenAt;
      if (age > KEPT_FOR_MS) {
        await this.deps.kv.delete(NAMESPACE, entry.key, entry.version).catch(() => false);
      } else if (age <= LISTED_FOR_MS || entry.key === this.deps.nodeId) {
        views.push({
          nodeId: entry.key,
          self: entry.key === this.deps.nodeId,
          leases: entry.value.leases,
          seenAt: entry.value.seenAt,
        });
      }
    }
    if (!views.some((v) => v.self)) {
      views.push({ nodeId: this.deps.nodeId, self: true, leases: this.deps.leases(), seenAt: now });
    }
    return views.sort(
      (a, b) => Number(b.self) - Number(a.self) || a.nodeId.localeCompare(b.nodeId),
    );
  }
}
