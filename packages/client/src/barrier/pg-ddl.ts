/**
 * Running `CREATE … IF NOT EXISTS` statements on PostgreSQL when several processes may
 * run them at once (every helper's `migrate`).
 */

/** What running DDL needs of a pg client (the barrier's `PgQueryable` fits). */
interface DdlQueryable {
  query(text: string): Promise<unknown>;
}

/**
 * SQLSTATEs a losing racer gets although the object now exists: the unique index of the
 * catalog (23505), the relation (42P07) or its row type (42710) created by the winner.
 */
const CREATED_BY_ANOTHER = new Set(['23505', '42P07', '42710']);

/**
 * Runs each statement in turn; an error that only says a concurrent run created the
 * same object first is ignored.
 *
 * @example
 * await runPgDdl(pool, ['CREATE TABLE IF NOT EXISTS t (id int)']);
 */
export async function runPgDdl(db: DdlQueryable, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    try {
      await db.query(statement);
    } catch (error) {
      if (!CREATED_BY_ANOTHER.has(String((error as { code?: unknown }).code))) throw error;
    }
  }
}
