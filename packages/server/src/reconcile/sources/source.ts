/**
 * Where the records of one side come from: a SQL query, an HTTP endpoint paged by cursor,
 * or a CSV statement file dropped in a folder. Each is read as a stream in key order;
 * drivers load only when a job uses them.
 */
import type { OpenedSource, SourceSpec, TimeWindow } from './source-spec.js';

export * from './source-spec.js';

/** Opens a source for a window, loading its driver on first use. */
export async function openSource(spec: SourceSpec, window: TimeWindow): Promise<OpenedSource> {
  switch (spec.type) {
    case 'sql':
      return (await import('./sql-source.js')).openSqlSource(spec, window);
    case 'http':
      return (await import('./http-source.js')).openHttpSource(spec, window);
    case 'csv':
      return (await import('./csv-source.js')).openCsvSource(spec);
  }
}
