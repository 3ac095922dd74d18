/**
 * What describes a source, what an opened one offers, and the error of one that cannot be
 * read now. The readers import this file; `source.ts` picks a reader.
 */
import type { SourceRow } from '../core/rules.js';

/** A SQL query on PostgreSQL (`postgres://`), MariaDB/MySQL (`mysql://`) or SQLite (`sqlite:<path>`). */
export interface SqlSourceSpec {
  readonly type: 'sql';
  /** Connection URL; the scheme picks the driver. */
  readonly url: string;
  /**
   * The query, ordered by the key fields (`ORDER BY id`, text keys in byte order), with
   * `:from` and `:to` standing for the run's time window.
   */
  readonly query: string;
}

/** An HTTP endpoint answering `GET url?from=&to=&limit=&cursor=` with `{ items, nextCursor }`. */
export interface HttpSourceSpec {
  readonly type: 'http';
  readonly url: string;
  /** Headers sent with every page (for example an authorization header). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Records asked for per page (default 500). */
  readonly pageSize?: number | undefined;
}

/** A folder where CSV statements arrive; each run reads the first file by name. */
export interface CsvSourceSpec {
  readonly type: 'csv';
  readonly folder: string;
  /** Field separator (default `,`). */
  readonly delimiter?: string | undefined;
}

/** One side of a reconciliation. */
export type SourceSpec = SqlSourceSpec | HttpSourceSpec | CsvSourceSpec;

/** The run's time window: records changed in `[from, to)`. */
export interface TimeWindow {
  readonly from: Date;
  readonly to: Date;
}

/** An opened source: its rows, and what to do once the run has used them. */
export interface OpenedSource {
  /** What was read, for the report (a file name, a redacted URL). */
  readonly description: string;
  readonly rows: AsyncIterable<SourceRow>;
  /** Called once the run is complete: a CSV statement is moved aside. */
  complete(): Promise<void>;
}

/** A source that cannot be read now (no statement file yet, a driver missing). */
export class SourceUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceUnavailableError';
  }
}
