/**
 * The report of each run, kept in the Store's key-value port: one entry per run (window,
 * checkpoint, counts, status) and one per mismatch (both sides, the repair's gid).
 */
import type { KeyValueStore } from '@accord/core';
import type { MismatchKind } from '../core/merge.js';
import type { RowKey, SourceRow } from '../core/rules.js';

const RUNS = 'reconcile.runs';
const MISMATCHES = 'reconcile.mismatches';

/** Counts of one run. */
export interface RunCounts {
  readonly compared: number;
  readonly same: number;
  readonly missingLeft: number;
  readonly missingRight: number;
  readonly different: number;
}

/** One run of a job. */
export interface RunRecord {
  readonly id: string;
  readonly jobId: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly from: string;
  readonly to: string;
  /** Encoded key up to which every mismatch is recorded and its repair started. */
  readonly checkpoint: string | null;
  readonly counts: RunCounts;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

/** One mismatch found by a run. */
export interface MismatchRecord {
  readonly kind: MismatchKind;
  readonly key: RowKey;
  readonly left: SourceRow | null;
  readonly right: SourceRow | null;
  readonly fields: readonly string[];
  /** The repair transaction; null when the job has no repair for this kind. */
  readonly repairGid: string | null;
}

/** Zero counts. */
export const NO_COUNTS: RunCounts = {
  compared: 0,
  same: 0,
  missingLeft: 0,
  missingRight: 0,
  different: 0,
};

/** Run ids sort by start time: a zero-padded millisecond timestamp. */
export function newRunId(now: number): string {
  return String(now).padStart(15, '0');
}

/** Reads and writes the records of runs. */
export class RunRecords {
  constructor(private readonly kv: KeyValueStore) {}

  /** The runs of a job, oldest first. */
  async runs(jobId: string, after?: string, limit = 100): Promise<RunRecord[]> {
    const prefix = `${jobId}/`;
    const page = await this.kv.list(RUNS, { after: after ? prefix + after : prefix, limit });
    return page.items
      .filter((entry) => entry.key.startsWith(prefix))
      .map((entry) => entry.value as RunRecord);
  }

  /** One run of a job. */
  async get(jobId: string, runId: string): Promise<RunRecord | undefined> {
    return (await this.kv.get(RUNS, `${jobId}/${runId}`))?.value as RunRecord | undefined;
  }

  /** The latest run of a job. */
  async latest(jobId: string): Promise<RunRecord | undefined> {
    let last: RunRecord | undefined;
    let after: string | undefined;
    for (;;) {
      const page = await this.runs(jobId, after, 1000);
      if (page.length === 0) return last;
      last = page[page.length - 1];
      after = last!.id;
    }
  }

  /** Creates a run; undefined if one with that id exists. */
  async create(run: RunRecord): Promise<RunRecord | undefined> {
    const entry = await this.kv.create(RUNS, `${run.jobId}/${run.id}`, run);
    return entry && run;
  }

  /** Replaces a run's record (the caller holds the job's lease). */
  async save(run: RunRecord): Promise<void> {
    const key = `${run.jobId}/${run.id}`;
    const current = await this.kv.get(RUNS, key);
    if (current === undefined) throw new Error(`run ${key} vanished`);
    const updated = await this.kv.update(RUNS, key, run, current.version);
    if (updated === undefined) throw new Error(`run ${key} changed under its lease holder`);
  }

  /** Records a mismatch once: a resumed run finding it again keeps the first record. */
  async addMismatch(
    jobId: string,
    runId: string,
    encodedKey: string,
    m: MismatchRecord,
  ): Promise<void> {
    await this.kv.create(MISMATCHES, `${jobId}/${runId}/${encodedKey}`, m);
  }

  /** The mismatches of a run, in key-text order, after `after` (an encoded key). */
  async mismatches(
    jobId: string,
    runId: string,
    after?: string,
    limit = 100,
  ): Promise<{ items: MismatchRecord[]; nextAfter: string | null }> {
    const prefix = `${jobId}/${runId}/`;
    const page = await this.kv.list(MISMATCHES, { after: prefix + (after ?? ''), limit });
    const entries = page.items.filter((entry) => entry.key.startsWith(prefix));
    const last = entries[entries.length - 1];
    return {
      items: entries.map((entry) => entry.value as MismatchRecord),
      nextAfter:
        entries.length === page.items.length && page.nextAfter !== null && last
          ? last.key.slice(prefix.length)
          : null,
    };
  }
}
