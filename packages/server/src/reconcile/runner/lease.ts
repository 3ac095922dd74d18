/**
 * One runner per job across replicas: a lease held in the Store's key-value port, taken
 * by compare-and-set and renewed while the run goes on.
 */
import type { KeyValueEntry, KeyValueStore } from '@accord/core';

const NAMESPACE = 'reconcile.leases';

interface LeaseValue {
  readonly owner: string;
  readonly until: number;
}

/** A lease this runner holds on a job. */
export class JobLease {
  private constructor(
    private readonly kv: KeyValueStore,
    private readonly jobId: string,
    private readonly owner: string,
    private entry: KeyValueEntry,
  ) {}

  /** Takes the job's lease if free or expired; undefined when another runner holds it. */
  static async take(
    kv: KeyValueStore,
    jobId: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<JobLease | undefined> {
    const value: LeaseValue = { owner, until: now + leaseMs };
    const current = await kv.get(NAMESPACE, jobId);
    if (current === undefined) {
      const created = await kv.create(NAMESPACE, jobId, value);
      return created && new JobLease(kv, jobId, owner, created);
    }
    const held = current.value as LeaseValue;
    if (held.owner !== owner && held.until > now) return undefined;
    const updated = await kv.update(NAMESPACE, jobId, value, current.version);
    return updated && new JobLease(kv, jobId, owner, updated);
  }

  /** Extends the lease; false when it was lost (another runner took it after expiry). */
  async renew(now: number, leaseMs: number): Promise<boolean> {
    const value: LeaseValue = { owner: this.owner, until: now + leaseMs };
    const updated = await this.kv.update(NAMESPACE, this.jobId, value, this.entry.version);
    if (updated === undefined) return false;
    this.entry = updated;
    return true;
  }

  /** Lets go, so another runner may start at once. */
  async release(): Promise<void> {
    await this.kv.delete(NAMESPACE, this.jobId, this.entry.version);
  }
}

/** Whether a runner other than `owner` holds the job's lease at `now`. */
export async function leaseHeldByOther(
  kv: KeyValueStore,
  jobId: string,
  owner: string,
  now: number,
): Promise<boolean> {
  const held = (await kv.get(NAMESPACE, jobId))?.value as LeaseValue | undefined;
  return held !== undefined && held.owner !== owner && held.until > now;
}
