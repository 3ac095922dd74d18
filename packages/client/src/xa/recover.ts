/**
 * Recovery of orphaned XA branches: prepared transactions whose phase two never came (a
 * local-work call that arrived after its rollback, a commit lost with a crash). It lists
 * Accord's prepared transactions, asks who decides (normally the coordinator) and
 * finishes each one. Shared by the PostgreSQL and MySQL/MariaDB helpers.
 */
import { isAccordError, type GlobalStatus } from '@accord/core';
import { describeBranch, type XaBranchKey } from './xid.js';

/** What to do with a prepared branch. */
export type RecoveryDecision = 'commit' | 'rollback' | 'wait';

/** One of Accord's prepared transactions, as found in the database. */
export interface PreparedBranch extends XaBranchKey {
  /** The database's own name of it (PostgreSQL identifier, MySQL xid). */
  readonly xid: string;
  /**
   * How long it has been prepared, ms: from the database's own timestamp on PostgreSQL;
   * on MySQL/MariaDB (which keeps none) since this process first saw it.
   */
  readonly ageMs: number;
}

/**
 * Decides the fate of a prepared branch from its gid (the branch is given too, for its
 * age). Throwing leaves the branch alone for this pass.
 */
export type RecoveryDecider = (gid: string, branch: PreparedBranch) => Promise<RecoveryDecision>;

/** What one recovery pass did. */
export interface RecoveryReport {
  /** Accord's prepared branches found. */
  readonly found: number;
  readonly committed: XaBranchKey[];
  readonly rolledBack: XaBranchKey[];
  /** Left prepared: the transaction is still open, or too young to judge. */
  readonly waiting: XaBranchKey[];
  /** Deciding or finishing failed; tried again next pass. */
  readonly failed: { readonly branch: XaBranchKey; readonly error: unknown }[];
}

/** The operations a recovery pass needs from a database helper. */
export interface RecoverySource {
  list(): Promise<PreparedBranch[]>;
  finish(branch: PreparedBranch, decision: 'commit' | 'rollback'): Promise<unknown>;
}

/**
 * One recovery pass: lists, decides once per gid, finishes. Never throws for one
 * branch (its error lands in `failed`); a failing `list` does throw.
 *
 * @example
 * const report = await recoverPrepared({ list, finish }, async () => 'wait');
 */
export async function recoverPrepared(
  source: RecoverySource,
  decide: RecoveryDecider,
): Promise<RecoveryReport> {
  const branches = await source.list();
  const report: RecoveryReport = {
    found: branches.length,
    committed: [],
    rolledBack: [],
    waiting: [],
    failed: [],
  };
  const decisions = new Map<string, Promise<RecoveryDecision>>();
  for (const branch of branches) {
    const key = { gid: branch.gid, branchId: branch.branchId };
    try {
      let decision = decisions.get(branch.gid);
      if (decision === undefined) {
        decision = decide(branch.gid, branch);
        decisions.set(branch.gid, decision);
      }
      const what = await decision;
      if (what === 'wait') {
        report.waiting.push(key);
      } else if (what === 'commit' || what === 'rollback') {
        await source.finish(branch, what);
        (what === 'commit' ? report.committed : report.rolledBack).push(key);
      } else {
        throw new Error(`decider answered ${String(what)} for ${describeBranch(branch)}`);
      }
    } catch (error) {
      report.failed.push({ branch: key, error });
    }
  }
  return report;
}

/** What {@link coordinatorDecider} needs of the client: `AccordClient.query`. */
export interface TransactionQueryLike {
  query(gid: string): Promise<{ readonly transaction: { readonly status: GlobalStatus } }>;
}

/** Options of {@link coordinatorDecider}. */
export interface CoordinatorDeciderOptions {
  /**
   * How long a branch whose gid the coordinator does not know must have been prepared
   * before it is rolled back, ms (default 300000). Guards against asking the wrong
   * coordinator, or asking before its records are visible.
   */
  graceMs?: number;
}

/** Default of {@link CoordinatorDeciderOptions.graceMs}. */
export const DEFAULT_ORPHAN_GRACE_MS = 300_000;

/**
 * Decides by the coordinator's record of the gid: `submitted`/`succeeded` → commit;
 * `aborting`/`failed` → rollback; `prepared` → wait; unknown gid
 * (`TRANSACTION_NOT_FOUND`) → rollback once the branch is older than `graceMs`, wait
 * before. Any other error (coordinator down) propagates, so the branch waits.
 *
 * @example
 * const decide = coordinatorDecider(accord, { graceMs: 600_000 });
 * const report = await xa.recover(decide);
 */
export function coordinatorDecider(
  client: TransactionQueryLike,
  options: CoordinatorDeciderOptions = {},
): RecoveryDecider {
  const { graceMs } = { graceMs: DEFAULT_ORPHAN_GRACE_MS, ...options };
  return async (gid, branch) => {
    let status: GlobalStatus;
    try {
      status = (await client.query(gid)).transaction.status;
    } catch (error) {
      if (isAccordError(error) && error.code === 'TRANSACTION_NOT_FOUND') {
        return branch.ageMs >= graceMs ? 'rollback' : 'wait';
      }
      throw error;
    }
    switch (status) {
      case 'submitted':
      case 'succeeded':
        return 'commit';
      case 'aborting':
      case 'failed':
        return 'rollback';
      case 'prepared':
        return 'wait';
      default:
        throw new Error(`coordinator reports unknown status ${String(status)} for ${gid}`);
    }
  };
}

/** Anything that can run a recovery pass: `pgXa(...)`, `mysqlXa(...)`. */
export interface RecoverableLike {
  recover(decide: RecoveryDecider): Promise<RecoveryReport>;
}

/** Options of {@link startRecovery}. */
export interface RecoveryRunnerOptions {
  readonly xa: RecoverableLike;
  readonly decide: RecoveryDecider;
  /** Pause between the end of one pass and the start of the next, ms (default 60000). */
  readonly intervalMs?: number;
  /** Called after every pass. */
  readonly onReport?: (report: RecoveryReport) => void;
  /**
   * Called when a whole pass fails (database unreachable) and for each branch in
   * `report.failed`. Default: one `console.warn` line each.
   */
  readonly onError?: (error: unknown, branch?: XaBranchKey) => void;
}

/** A running recovery loop. */
export interface RecoveryRunner {
  /** Stops the loop; resolves once a pass in flight has finished. */
  stop(): Promise<void>;
  /** Runs a pass now (or joins the one in flight) and resolves to its report. */
  runNow(): Promise<RecoveryReport>;
}

/** Default of {@link RecoveryRunnerOptions.intervalMs}. */
export const DEFAULT_RECOVERY_INTERVAL_MS = 60_000;

function warn(error: unknown, branch?: XaBranchKey): void {
  const what = branch ? `xa recovery of ${describeBranch(branch)}` : 'xa recovery pass';
  const why = error instanceof Error ? error.message : String(error);
  console.warn(`${what} failed: ${why}`);
}

/**
 * Runs a recovery pass at once and then every `intervalMs` (passes never overlap; the
 * timer does not keep the process alive).
 *
 * @example
 * const recovery = startRecovery({ xa, decide: coordinatorDecider(accord), intervalMs: 30_000 });
 * // on shutdown:
 * await recovery.stop();
 */
export function startRecovery(options: RecoveryRunnerOptions): RecoveryRunner {
  const intervalMs = options.intervalMs ?? DEFAULT_RECOVERY_INTERVAL_MS;
  const onError = options.onError ?? warn;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<RecoveryReport> | undefined;

  const pass = (): Promise<RecoveryReport> => {
    inFlight ??= options.xa
      .recover(options.decide)
      .then((report) => {
        for (const { branch, error } of report.failed) onError(error, branch);
        options.onReport?.(report);
        return report;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const loop = (): void => {
    timer = undefined;
    if (stopped) return;
    void pass()
      .catch((error: unknown) => onError(error))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(loop, intervalMs);
          timer.unref();
        }
      });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inFlight?.catch(() => undefined);
    },
    runNow: pass,
  };
}
