/**
 * The XA ledger: one row per branch in the barrier table, which makes a branch's local
 * work run at most once whatever the timing of repeated calls. Shared by the PostgreSQL
 * and MySQL/MariaDB helpers; the rules here do no I/O.
 *
 * The row `(gid, branch, 'xa', <mark>)` is written by the local work itself, inside the
 * transaction it prepares, with reason `commit`: it becomes visible exactly when phase two
 * commits that work, and vanishes when it is rolled back. A rollback then writes the
 * same key with reason `rollback`, so a late call can never prepare the branch again.
 * While one call holds the branch (running or prepared), every other call of the same
 * branch waits for it to prepare, commit or roll back, and never runs its own work.
 */
import { Ongoing, BusinessFailure } from '../participant/failures.js';
import { describeBranch, type XaBranchKey } from './xid.js';

/**
 * The key and reasons of ledger rows in the barrier table. The row's `barrier_id` is the
 * helper's mark (PostgreSQL prefix, MySQL format id), so services that share a database
 * under different marks keep separate ledgers.
 */
export const XA_LEDGER = {
  op: 'xa',
  /** Written by the local work, so visible only once phase two committed it. */
  committed: 'commit',
  /** Written by phase two's rollback (and recovery's), after the rollback. */
  rolledBack: 'rollback',
} as const;

/** A ledger row's four key values for a branch under a helper's mark. */
export function ledgerKey(branch: XaBranchKey, mark: string): [string, string, string, string] {
  return [branch.gid, branch.branchId, XA_LEDGER.op, mark];
}

/**
 * What a local-work call did. `applied: false` is a repeated call of a branch whose work
 * another call already ran: it is `prepared` (waiting for phase two) or `committed`, and
 * this call ran nothing. Either way the branch is fine and the call should answer success.
 *
 * @example
 * const r = await xa.local(ctx, (client) => debit(client, body));
 * if (!r.applied) log.info(`branch already ${r.state}`);
 */
export type XaLocalResult<T> =
  | { readonly applied: true; readonly value: T }
  | {
      readonly applied: false;
      readonly reason: 'duplicate';
      readonly state: 'prepared' | 'committed';
    };

/** What the ledger says of a branch whose row exists. */
export type LedgerState = 'committed' | 'rolled-back';

/**
 * Reads a ledger row's reason. An unknown reason is a row the helper did not write: an
 * error, never a guess.
 */
export function ledgerState(branch: XaBranchKey, reason: unknown): LedgerState {
  if (reason === XA_LEDGER.committed) return 'committed';
  if (reason === XA_LEDGER.rolledBack) return 'rolled-back';
  throw new Error(
    `the ledger row of xa branch ${describeBranch(branch)} has reason ${String(reason)}, ` +
      `expected ${XA_LEDGER.committed} or ${XA_LEDGER.rolledBack}`,
  );
}

/**
 * The answer to a repeated local-work call whose branch the ledger records: a duplicate of
 * committed work, or a refusal (409) after a rollback.
 */
export function repeatedCall<T>(branch: XaBranchKey, state: LedgerState): XaLocalResult<T> {
  if (state === 'committed') return { applied: false, reason: 'duplicate', state: 'committed' };
  throw new BusinessFailure(
    `xa branch ${describeBranch(branch)} was rolled back; its local work will not run again`,
    { gid: branch.gid, branchId: branch.branchId },
  );
}

/** Phase two was asked to do the opposite of what the ledger records. */
export function contradiction(
  branch: XaBranchKey,
  asked: 'commit' | 'rollback',
  state: LedgerState | undefined,
): Error {
  const recorded =
    state === undefined
      ? 'nothing is prepared under it and no commit or rollback of it is recorded (its local work never prepared, or its prepared transaction was finished by hand)'
      : `it was already ${state === 'committed' ? 'committed' : 'rolled back'}`;
  return new Error(`cannot ${asked} xa branch ${describeBranch(branch)}: ${recorded}`);
}

/** Why a call gave up waiting for another call of the same branch. */
export function stillBusy(branch: XaBranchKey, waitedMs: number): Ongoing {
  return new Ongoing(
    `another call of xa branch ${describeBranch(branch)} is still running its local work ` +
      `(waited ${waitedMs} ms); ask again later`,
    { gid: branch.gid, branchId: branch.branchId },
  );
}

/** Explains a missing ledger table, or returns the error as it is. */
export function explainMissingTable(error: unknown, table: string, missing: boolean): unknown {
  if (!missing) return error;
  return new Error(
    `the table ${table} does not exist: the XA helpers keep one row per branch in it. ` +
      'Create it once at start-up with `await xa.migrate(pool)`.',
    { cause: error },
  );
}

/** Default of the helpers' `busyTimeoutMs`. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `attempt` until it returns a value, pausing a little longer each time (10 ms
 * growing to 100 ms) while it returns `undefined`, for at most `budgetMs`; then calls
 * `onTimeout` and throws what it returns.
 */
export async function retryWhileBusy<T>(
  budgetMs: number,
  attempt: () => Promise<T | undefined>,
  onTimeout: (waitedMs: number) => Error,
): Promise<T> {
  const started = Date.now();
  let pause = 10;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    const waited = Date.now() - started;
    if (waited >= budgetMs) throw onTimeout(waited);
    await sleep(Math.min(pause, Math.max(1, budgetMs - waited)));
    pause = Math.min(pause * 2, 100);
  }
}
