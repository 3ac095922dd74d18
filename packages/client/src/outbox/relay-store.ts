/**
 * The port between the relay loop and a dialect: four writes on the outbox table. Each
 * dialect implements it with its own SQL; the relay knows nothing of databases.
 */

/** A row a claim took, as stored. */
export interface ClaimedRow {
  readonly id: string;
  readonly topic: string;
  /** JSON text. */
  readonly payload: string;
  /** JSON text. */
  readonly headers: string;
  readonly createdAt: number;
  /** Attempts including this claim (the claim counts one). */
  readonly attempts: number;
}

/**
 * Identifies one claim of one row: the fencing token. A claim bumps `attempts`, so a later
 * claim of the same row (by any relay, this one included) never matches an older key.
 */
export interface ClaimKey {
  readonly id: string;
  readonly owner: string;
  readonly attempts: number;
}

/** Outcome of a failed attempt, written back under the claim's fence. */
export interface FailedUpdate {
  readonly status: 'pending' | 'dead';
  readonly attempts: number;
  readonly availableAt: number;
  readonly error: string;
}

/** What a relay needs of the outbox table. */
export interface RelayStore {
  /**
   * Atomically takes up to `limit` pending rows due at `now` that no live claim holds:
   * sets their lease (`owner` until `leaseUntil`, which is also when they fall due again)
   * and counts an attempt. Concurrent claims never return the same row.
   */
  claim(owner: string, now: number, leaseUntil: number, limit: number): Promise<ClaimedRow[]>;
  /** Marks a pending row sent; false if it was not pending any more. */
  markSent(id: string, now: number): Promise<boolean>;
  /** Records a failed attempt; false if the claim was lost (the row is someone else's). */
  markFailed(key: ClaimKey, update: FailedUpdate): Promise<boolean>;
  /** Hands a claimed, unstarted row back, due at `now`, uncounting the attempt. */
  release(key: ClaimKey, now: number): Promise<boolean>;
}

/** Reads a bigint column that a driver may return as a string. */
export function toNumber(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`expected a number, got ${String(value)}`);
  return n;
}

/** Maps a driver row (snake_case columns) to a {@link ClaimedRow}. */
export function toClaimedRow(raw: unknown): ClaimedRow {
  const r = raw as Record<string, unknown>;
  return {
    id: String(r['id']),
    topic: String(r['topic']),
    payload: String(r['payload']),
    headers: String(r['headers']),
    createdAt: toNumber(r['created_at']),
    attempts: toNumber(r['attempts']),
  };
}
