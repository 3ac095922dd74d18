/** The structural subset of a pg client that the PostgreSQL helpers use. */

/**
 * What the PostgreSQL helpers need of a pg client: `query` with positional values.
 *
 * @example
 * const client: PgQueryable = await pool.connect();
 */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null; rows: unknown[] }>;
}
