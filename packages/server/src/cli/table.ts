/**
 * Plain-text tables and key/value blocks for the CLI's human-readable output: columns
 * padded to their widest cell, long cells cut with `…`, nothing but ASCII spacing.
 */

/** One column: its header and how to read a row's cell. */
export interface Column<Row> {
  readonly header: string;
  readonly cell: (row: Row) => string;
  /** Longest cell shown before it is cut with `…` (default 48). */
  readonly maxWidth?: number;
}

const DEFAULT_MAX_WIDTH = 48;

function fit(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Rows as a table, one line per row under a header line, columns two spaces apart; the
 * last column is not padded.
 *
 * @example
 * formatTable([{ header: 'GID', cell: (t) => t.gid }], [{ gid: 'g1' }]);
 * // 'GID\ng1'
 */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = [
    columns.map((c) => c.header),
    ...rows.map((row) => columns.map((c) => fit(c.cell(row), c.maxWidth ?? DEFAULT_MAX_WIDTH))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Named values as aligned `name: value` lines, skipping undefined values.
 *
 * @example
 * formatFields([['gid', 'g1'], ['status', 'failed']]); // 'gid:    g1\nstatus: failed'
 */
export function formatFields(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = fields.filter((f): f is readonly [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([name]) => name.length + 1));
  return shown.map(([name, value]) => `${`${name}:`.padEnd(width)} ${value}`).join('\n');
}
