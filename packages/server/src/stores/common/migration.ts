/** One numbered schema change. Applied in version order, each exactly once per database. */
export interface Migration {
  /** Strictly increasing, never reused or renumbered once released. */
  readonly version: number;
  /** Short description, stored beside the version. */
  readonly name: string;
  /** The statements, run in one store transaction. */
  readonly sql: string;
}

/**
 * Renders migrations as one SQL script, for `accord migrate --print` and for people who
 * apply schema changes by hand.
 */
export function renderMigrations(migrations: readonly Migration[]): string {
  return migrations
    .map((m) => `-- migration ${String(m.version).padStart(4, '0')}: ${m.name}\n${m.sql.trim()}\n`)
    .join('\n');
}

/** The migrations of `all` whose versions are not in `applied`, in version order. */
export function pendingMigrations(
  all: readonly Migration[],
  applied: ReadonlySet<number>,
): Migration[] {
  return [...all].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
}
