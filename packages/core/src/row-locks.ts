/**
 * Global row locks of at-mode transactions: one entry per changed row, keyed
 * `resource:table:pk`, owned by a transaction and the branch that registered it. Taken
 * all together when a branch registers and held until the transaction ends, so two open
 * transactions never change the same row.
 */

/** One held lock. */
export interface RowLock {
  /** `resource:table:pk`. */
  readonly key: string;
  readonly gid: string;
  readonly branchId: string;
  /** When the lock was taken, ms since the epoch. */
  readonly acquiredAt: number;
}

/** A branch asking for its keys (see {@link RowLockStore.acquire}). */
export interface LockRequest {
  readonly gid: string;
  readonly branchId: string;
  readonly keys: readonly string[];
  readonly now: number;
}

/**
 * Result of {@link RowLockStore.acquire}: every key held by the transaction now (with the
 * keys this call took, so a caller that cannot go on gives back exactly those), or the
 * first key found held by another transaction, with its holder, and nothing taken.
 */
export type LockResult =
  | { readonly acquired: true; readonly added: readonly string[] }
  | { readonly acquired: false; readonly conflict: RowLock };

/** Longest lock key, in characters. */
export const MAX_LOCK_KEY_LENGTH = 512;
/** Most keys one branch registration may carry. */
export const MAX_LOCK_KEYS = 5_000;

/**
 * The row-lock table of a store. Every backend passes the same conformance cases,
 * including racing acquisitions over overlapping keys.
 */
export interface RowLockStore {
  /**
   * Takes every key for the transaction, or none: a key already held by the same
   * transaction (by any of its branches) counts as taken and keeps its first owner; a key
   * held by another transaction is a conflict. Atomic against concurrent acquisitions.
   */
  acquire(request: LockRequest): Promise<LockResult>;

  /**
   * Gives back the transaction's locks: `keys` only (those it holds), or all of them.
   * Returns how many were released. Stores also release every lock of a transaction with
   * the write that ends it ({@link TransactionWrite.releaseLocks}) and when it is purged.
   */
  release(gid: string, keys?: readonly string[]): Promise<number>;

  /** The locks a transaction holds, by key. */
  heldBy(gid: string): Promise<RowLock[]>;
}

/** Sorted, without duplicates: the order every backend takes keys in. */
export function normalizeLockKeys(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
