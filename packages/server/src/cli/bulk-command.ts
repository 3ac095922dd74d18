/**
 * `accord bulk <retry|resolve|pause|resume> [filters] --reason "…"`: counts what the
 * filter matches (the server's dry run) and changes nothing; with `--yes` it then acts
 * on each matching transaction in turn, showing its progress.
 */
import type { TransactionPage } from '@accord/core';
import type { BulkReply } from '@accord/core/schemas';
import { loadCliTarget } from '../config/config.js';
import { ApiError, callApi, type ApiTarget } from './coordinator-api.js';
import {
  FILTER_OPTIONS,
  filterFromFlags,
  filterQuery,
  parseCountFlag,
  type ListFilter,
} from './list-flags.js';
import { parseFlags, required } from './parse-flags.js';
import { progressLine } from './progress.js';
import { UsageError } from './usage-error.js';

const ACTIONS = ['retry', 'resolve', 'pause', 'resume'] as const;
type Action = (typeof ACTIONS)[number];
const PAST = { retry: 'retried', resolve: 'resolved', pause: 'paused', resume: 'resumed' };
/** Most transactions one bulk action touches (the server's bulk limit). */
const MAX_BULK = 10_000;
const PAGE = 500;
/** Calls in flight at once while applying. */
const CONCURRENCY = 4;

/** The gids the filter matches, newest first, at most `limit`. */
async function matchingGids(target: ApiTarget, filter: ListFilter, limit: number) {
  const gids: string[] = [];
  let cursor: string | null = null;
  do {
    const query = filterQuery(filter);
    query.set('limit', String(Math.min(PAGE, limit - gids.length)));
    if (cursor) query.set('cursor', cursor);
    const page: TransactionPage = await callApi(
      target,
      'GET',
      `/v1/transactions?${query.toString()}`,
    );
    gids.push(...page.items.map((t) => t.gid));
    cursor = page.nextCursor;
  } while (cursor && gids.length < limit);
  return gids;
}

/** Applies `action` to each gid, a few at a time, reporting progress. */
async function applyEach(
  target: ApiTarget,
  action: Action,
  body: Record<string, string>,
  gids: readonly string[],
): Promise<BulkReply> {
  const failed: BulkReply['failed'] = [];
  let applied = 0;
  let next = 0;
  const progress = progressLine(gids.length, PAST[action]);
  progress.update(0, 0);
  const worker = async () => {
    while (next < gids.length) {
      const gid = gids[next++] as string;
      try {
        await callApi(
          target,
          'POST',
          `/v1/transactions/${encodeURIComponent(gid)}/${action}`,
          body,
        );
        applied += 1;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        failed.push({ gid, code: error.code, message: error.message });
      }
      progress.update(applied + failed.length, failed.length);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  progress.finish();
  return { matched: gids.length, applied, failed };
}

/** Runs `accord bulk`. */
export async function runBulkCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (!ACTIONS.includes(action as Action)) {
    throw new UsageError(
      `accord bulk: expected retry, resolve, pause or resume${action ? `, not "${action}"` : ''}`,
    );
  }
  const act = action as Action;
  const { values } = parseFlags(`accord bulk ${act}`, rest, {
    ...FILTER_OPTIONS,
    reason: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    yes: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const reason = required(values.reason, '--reason', `say why they are ${PAST[act]}`);
  if (act === 'resolve') {
    const to = required(values.to, '--to', 'the status to resolve to: succeeded or failed');
    if (to !== 'succeeded' && to !== 'failed') {
      throw new UsageError(`--to "${to}": resolve takes succeeded or failed`);
    }
  } else if (values.to !== undefined) {
    throw new UsageError(`--to is only used by bulk resolve`);
  }
  const limit =
    values.limit === undefined ? MAX_BULK : parseCountFlag(values.limit, '--limit', MAX_BULK);
  const filter = filterFromFlags(values, Date.now());
  const target = loadCliTarget();
  const status = act === 'resolve' ? { status: values.to } : {};
  const dry = await callApi<BulkReply>(target, 'POST', '/v1/bulk', {
    action: act,
    filter,
    reason,
    ...status,
    dryRun: true,
    limit,
  });
  if (!values.yes) {
    if (values.json) console.log(JSON.stringify({ ...dry, dryRun: true }, null, 2));
    else {
      console.log(
        `${dry.matched} transaction${dry.matched === 1 ? '' : 's'} match; nothing changed (dry run).` +
          (dry.matched > 0 ? ` Add --yes to ${act} them.` : ''),
      );
    }
    return;
  }
  const gids = await matchingGids(target, filter, limit);
  const result = await applyEach(
    target,
    act,
    { reason, ...status } as Record<string, string>,
    gids,
  );
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `${result.applied} of ${result.matched} ${PAST[act]}, ${result.failed.length} failed`,
    );
    for (const f of result.failed) console.log(`  ${f.gid}: ${f.code}: ${f.message}`);
  }
  if (result.failed.length > 0) process.exitCode = 1;
}
