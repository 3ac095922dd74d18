import type {
  AttemptRecord,
  BranchOp,
  GlobalStatus,
  Mode,
  TransactionRecord,
  TransactionSnapshot,
} from './protocol.js';
import type { KeyValueStore } from './key-value.js';
import type { RowLockStore } from './row-locks.js';

/**
 * What a store backend can do natively. Behaviour never branches on a backend's name;
 * where a difference matters it is a flag here.
 */
export interface StoreCapabilities {
  /** Commits are on disk before a write resolves. A coordinator warns at start when not. */
  readonly durableCommits: boolean;
  /**
   * Several coordinator processes may share this store. When false, a coordinator takes
   * the storage for itself at start ({@link Store.lockExclusive}) and a second one is
   * refused.
   */
  readonly sharedByInstances: boolean;
  /** Claims skip rows locked by other claimers (`FOR UPDATE SKIP LOCKED` or equivalent). */
  readonly skipLocked: boolean;
}

/**
 * One persisted step of a transaction: the new values of the transaction's mutable
 * fields, the branch ops that changed (upserted whole) and attempts to append. Applied
 * only if the stored fence still equals `fence`; otherwise the writer lost its lease.
 */
export interface TransactionWrite {
  readonly gid: string;
  /** Fencing token the writer holds. */
  readonly fence: number;
  readonly tx: Pick<
    TransactionRecord,
    | 'status'
    | 'reason'
    | 'updatedAt'
    | 'finishedAt'
    | 'deadlineAt'
    | 'nextAttemptAt'
    | 'parked'
    | 'paused'
  >;
  /** Ops to insert or replace, keyed by (branchId, op). */
  readonly ops: readonly BranchOp[];
  readonly attempts: readonly AttemptRecord[];
  /** Give up the lease with this write (lease owner cleared, expiry 0). */
  readonly release: boolean;
  /**
   * The write ends a transaction that holds row locks: release them all, in the same
   * store transaction where the backend has one (see {@link Store.locks}).
   */
  readonly releaseLocks?: boolean;
}

/** A new transaction and its ops, to insert (see {@link Store.commit}). */
export interface TransactionInsert {
  readonly tx: TransactionRecord;
  readonly ops: readonly BranchOp[];
}

/** What one group commit applies: inserts first, then writes. */
export interface StoreBatch {
  readonly inserts: readonly TransactionInsert[];
  readonly writes: readonly TransactionWrite[];
}

/** Per-item results of a {@link StoreBatch}, in order. */
export interface BatchResult {
  readonly inserted: InsertResult[];
  readonly written: boolean[];
}

/** Result of inserting a new transaction. */
export type InsertResult =
  | { readonly inserted: true }
  | { readonly inserted: false; readonly existing: TransactionSnapshot };

/** Filters of a transaction listing. Times filter on `createdAt`, inclusive. */
export interface ListQuery {
  readonly status?: GlobalStatus | undefined;
  readonly mode?: Mode | undefined;
  readonly parked?: boolean | undefined;
  readonly paused?: boolean | undefined;
  /** Only gids that start with this text (compared as is, case and all). */
  readonly gidPrefix?: string | undefined;
  /** Only transactions that carry every one of these labels with these values. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /**
   * Only stuck (`is` true) or only not stuck (`is` false) transactions: stuck means
   * non-terminal and created before its mode's cut-off (see `stuckCutoffs`).
   */
  readonly stuck?: StuckFilter | undefined;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  /** Opaque cursor from a previous page. */
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/** The stuck filter of a listing. */
export interface StuckFilter {
  readonly is: boolean;
  /** Per mode, the creation time before which a non-terminal transaction is stuck. */
  readonly createdBefore: Readonly<Record<Mode, number>>;
}

/** One page of a listing, newest first. */
export interface ListPage {
  readonly items: readonly TransactionRecord[];
  /** Present when more items follow. */
  readonly nextCursor: string | null;
}

/** How many non-terminal transactions have one mode, status and parked flag. */
export interface LiveCount {
  readonly mode: Mode;
  readonly status: GlobalStatus;
  readonly parked: boolean;
  readonly count: number;
}

/** What {@link Store.summarize} reports. */
export interface StoreSummary {
  /** Non-terminal transactions by mode, status and parked flag (groups of zero left out). */
  readonly live: readonly LiveCount[];
  /**
   * `nextAttemptAt` of the most overdue transaction that is due at `now` but not yet
   * claimed (not parked, lease free or expired); null when none is.
   */
  readonly oldestDueAt: number | null;
}

/**
 * Which waiting transactions {@link Store.hasten} makes due: non-terminal, not parked, not
 * paused, lease free or expired at `now`, and `nextAttemptAt` later than `laterThan`.
 */
export interface HastenQuery {
  readonly now: number;
  /** Only transactions whose next attempt is later than this instant. */
  readonly laterThan: number;
  /** At most this many transactions, earliest `nextAttemptAt` first. */
  readonly limit: number;
  /** Only this transaction. */
  readonly gid?: string | undefined;
}

/** A lease to renew: the transaction and the fence its holder got when claiming. */
export interface LeaseRef {
  readonly gid: string;
  readonly fence: number;
}

/**
 * The persistence port of the coordinator. Every backend implements it and passes the
 * same conformance suite on a real server.
 *
 * Concurrency contract: a transaction changes only through a write in {@link Store.commit}
 * by the holder of its current fence. {@link Store.claim} and {@link Store.claimDue} hand
 * out leases atomically (one winner) and raise the fence, so a previous holder's writes
 * fail from then on.
 */
export interface Store {
  /** Short name of the backend (`sqlite`, `postgres`), for logs and metrics only. */
  readonly kind: string;
  readonly capabilities: StoreCapabilities;

  /**
   * Durable entries outside transactions (topics, operator state); see key-value.ts for
   * why they are written there and not through {@link Store.commit}.
   */
  readonly kv: KeyValueStore;

  /** Global row locks of at-mode transactions. */
  readonly locks: RowLockStore;

  /** Applies pending schema migrations; safe to call from several instances at once. */
  migrate(): Promise<void>;

  /**
   * Takes the storage for this instance alone, until `close()` or the end of the process
   * however it ends (the lock is the operating system's, so a kill -9 frees it too).
   * Rejects, saying so, when another process holds it. Offered by a store whose
   * {@link StoreCapabilities.sharedByInstances} is false; a coordinator calls it once,
   * before `migrate()`.
   */
  lockExclusive?(): Promise<void>;

  /**
   * Group commit, the only way a transaction is written: applies every insert and then every
   * write in one store transaction (where the backend has one), so one durable commit
   * serves them all. Results come back per item, in order, and what was applied is
   * durable when the promise resolves (as far as {@link StoreCapabilities.durableCommits}
   * says).
   *
   * An insert adds a new transaction with its ops; if the gid exists, nothing is written
   * and the existing snapshot is its result. The record may already carry a lease (owner,
   * expiry, fence) so the creator can drive it at once. A write ({@link TransactionWrite})
   * applies only if the stored fence still equals its own; its result is false on a fence
   * mismatch or when the transaction is gone.
   */
  commit(batch: StoreBatch): Promise<BatchResult>;

  /** The transaction and its ops (ordered by seq, then branchId, then op), if it exists. */
  get(gid: string): Promise<TransactionSnapshot | undefined>;

  /** Attempt history of a transaction, oldest first. */
  history(gid: string): Promise<AttemptRecord[]>;

  /**
   * Takes the lease of one non-terminal transaction if it is free or expired (parked or
   * not), raising the fence. Returns the snapshot as claimed, or undefined if it is
   * terminal, missing, or leased by someone else.
   */
  claim(
    gid: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<TransactionSnapshot | undefined>;

  /**
   * Claims up to `limit` due transactions: non-terminal, not parked, not paused,
   * `nextAttemptAt <= now`, lease free or expired; earliest first. Atomic against
   * concurrent claimers.
   */
  claimDue(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<TransactionSnapshot[]>;

  /** Extends leases still held (fence unchanged); returns which were extended. */
  renew(leases: readonly LeaseRef[], owner: string, until: number): Promise<boolean[]>;

  /** Pages through transactions, newest first. */
  list(query: ListQuery): Promise<ListPage>;

  /**
   * Makes waiting transactions due now (DTM's `resetCronTime`): for each one the query
   * selects, `nextAttemptAt` and that of its pending ops become `now`, so the recovery
   * path retries it at once (budgets and failure counts stay as they are). A transaction
   * under a live lease is left alone: its holder is driving it already. Fences and
   * leases do not change. Returns how many transactions changed.
   */
  hasten(query: HastenQuery): Promise<number>;

  /** Number of parked, non-terminal transactions. */
  countParked(): Promise<number>;

  /**
   * Counts of the non-terminal transactions and the oldest unclaimed due one, for the
   * dashboard. Terminal transactions are not counted: there may be millions of them.
   */
  summarize(now: number): Promise<StoreSummary>;

  /**
   * Retention: deletes up to `limit` terminal transactions (with their ops, history and
   * any row locks left) that finished before `finishedBefore`, oldest first; returns how many. Safe to run
   * from several instances at once.
   */
  purgeTerminal(finishedBefore: number, limit: number): Promise<number>;

  /** Resolves if the store answers; rejects otherwise. */
  ping(): Promise<void>;

  /** Releases connections and handles. */
  close(): Promise<void>;
}
