/**
 * Reconciliation jobs as defined through the API, kept in the Store's key-value port so
 * every instance on the store sees (and schedules) the same jobs.
 */
import type { KeyValueStore } from '@accord/core';
import type { ReconcileJob } from '../runner/job.js';

const NAMESPACE = 'reconcile.jobs';

/** A stored job: what the runner needs, its cron schedule and when it was last defined. */
export interface StoredJob extends ReconcileJob {
  /** A cron expression (UTC); absent: runs only when asked. */
  readonly schedule?: string | undefined;
  readonly updatedAt: string;
}

/** Reads and writes job definitions. */
export class JobStore {
  constructor(private readonly kv: KeyValueStore) {}

  /** Creates the job, or replaces the one with its id. */
  async put(job: StoredJob): Promise<void> {
    for (;;) {
      const current = await this.kv.get(NAMESPACE, job.id);
      const done =
        current === undefined
          ? await this.kv.create(NAMESPACE, job.id, job)
          : await this.kv.update(NAMESPACE, job.id, job, current.version);
      if (done !== undefined) return;
    }
  }

  /** The job with this id, if defined. */
  async get(id: string): Promise<StoredJob | undefined> {
    return (await this.kv.get(NAMESPACE, id))?.value as StoredJob | undefined;
  }

  /** Every job, by id (the count is bounded by what admins define). */
  async list(): Promise<StoredJob[]> {
    const jobs: StoredJob[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.kv.list(NAMESPACE, { after, limit: 500 });
      jobs.push(...page.items.map((entry) => entry.value as StoredJob));
      if (page.nextAfter === null || page.items.length === 0) return jobs;
      after = page.nextAfter;
    }
  }

  /** Removes the job; false when there was none. */
  async delete(id: string): Promise<boolean> {
    for (;;) {
      const current = await this.kv.get(NAMESPACE, id);
      if (current === undefined) return false;
      if (await this.kv.delete(NAMESPACE, id, current.version)) return true;
    }
  }
}
