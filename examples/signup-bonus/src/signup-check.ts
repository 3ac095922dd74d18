/**
 * The invariant of the example, across the two databases: every committed user has
 * exactly one sign-up bonus, and no bonus belongs to a user who was never committed.
 */
import type { User } from './user-store.js';

/** How the two databases compare. */
export interface SignupReport {
  /** Committed users (PostgreSQL). */
  readonly users: number;
  /** Users with exactly one bonus. */
  readonly bonused: number;
  /** Committed users without a bonus (yet). */
  readonly missing: readonly string[];
  /** Users with more than one bonus: the inbox failed. */
  readonly doubled: readonly string[];
  /** Bonuses for user ids that were never committed: a rolled-back sign-up leaked. */
  readonly strangers: readonly string[];
  /** True when every user has exactly one bonus and there is nothing else. */
  readonly ok: boolean;
}

/**
 * Compares the users with the bonus counts per user id.
 *
 * @example
 * const report = checkSignups(await users.users(), await ledger.bonuses());
 * if (!report.ok) console.log(report.missing, report.doubled, report.strangers);
 */
export function checkSignups(
  users: readonly User[],
  bonuses: ReadonlyMap<string, number>,
): SignupReport {
  const ids = new Set(users.map((u) => u.id));
  const missing = users.filter((u) => (bonuses.get(u.id) ?? 0) === 0).map((u) => u.id);
  const doubled = [...bonuses].filter(([, n]) => n > 1).map(([id]) => id);
  const strangers = [...bonuses.keys()].filter((id) => !ids.has(id));
  return {
    users: users.length,
    bonused: users.filter((u) => bonuses.get(u.id) === 1).length,
    missing,
    doubled,
    strangers,
    ok: missing.length === 0 && doubled.length === 0 && strangers.length === 0,
  };
}
