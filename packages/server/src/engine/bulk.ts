/**
 * Bulk operator actions: every transaction a filter matches (newest first, up to a
 * limit) gets the same action, one at a time, each recorded with its actor and reason.
 * A dry run only counts. One transaction's refusal does not stop the rest: it is
 * reported with its error code.
 */
import { AccordError } from '@accord/core';
import type { Engine, ListRequest } from './engine.js';

/** An action bulk can take. */
export type BulkActionName = 'retry' | 'resolve' | 'pause' | 'resume';

/** One bulk request, already validated. */
export interface BulkSpec {
  readonly action: BulkActionName;
  readonly filter: Omit<ListRequest, 'limit' | 'cursor'>;
  readonly reason: string;
  /** resolve's target status. */
  readonly status?: 'succeeded' | 'failed' | undefined;
  readonly dryRun: boolean;
  /** At most this many transactions. */
  readonly limit: number;
  readonly actor: string | null;
}

/** What a bulk request did. */
export interface BulkOutcome {
  readonly matched: number;
  readonly applied: number;
  readonly failed: { gid: string; code: string; message: string }[];
}

const PAGE = 500;

/** The gids the filter matches, newest first, paging through the store, at most `limit`. */
export async function matchingGids(
  engine: Engine,
  filter: BulkSpec['filter'],
  limit: number,
): Promise<string[]> {
  const gids: string[] = [];
  let cursor: string | undefined;
  while (gids.length < limit) {
    const page = await engine.list({
      ...filter,
      cursor,
      limit: Math.min(PAGE, limit - gids.length),
    });
    gids.push(...page.items.map((tx) => tx.gid));
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  return gids;
}

/** Runs a bulk action (or counts, for a dry run). */
export async function runBulk(engine: Engine, spec: BulkSpec): Promise<BulkOutcome> {
  const gids = await matchingGids(engine, spec.filter, spec.limit);
  if (spec.dryRun) return { matched: gids.length, applied: 0, failed: [] };
  let applied = 0;
  const failed: BulkOutcome['failed'] = [];
  for (const gid of gids) {
    try {
      await applyOne(engine, spec, gid);
      applied += 1;
    } catch (error) {
      if (error instanceof AccordError && error.code === 'SHUTTING_DOWN') throw error;
      failed.push({
        gid,
        code: error instanceof AccordError ? error.code : 'INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { matched: gids.length, applied, failed };
}

function applyOne(engine: Engine, spec: BulkSpec, gid: string) {
  const { actor, reason } = spec;
  switch (spec.action) {
    case 'retry':
      return engine.retry(gid, { actor, reason });
    case 'resolve':
      return engine.resolve(gid, spec.status ?? 'failed', reason, actor);
    case 'pause':
      return engine.pause(gid, reason, actor);
    case 'resume':
      return engine.resume(gid, reason, actor);
  }
}
