/**
 * A CSV statement dropped in a folder, as payment platforms deliver them: each run reads
 * the first `*.csv` file by name (a header row names the fields), streaming, and once the
 * run is complete moves it into `processed/` so the next run takes the next statement.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceRow } from '../core/rules.js';
import type { CsvSourceSpec, OpenedSource } from './source-spec.js';
import { SourceUnavailableError } from './source-spec.js';

/** Where read statements go, inside the folder. */
export const PROCESSED_FOLDER = 'processed';

/** Opens the next statement of the folder; unavailable when there is none. */
export async function openCsvSource(spec: CsvSourceSpec): Promise<OpenedSource> {
  const { parse } = await import('csv-parse');
  const names = await readdir(spec.folder).catch((error: unknown) => {
    throw new SourceUnavailableError(`csv source: cannot list ${spec.folder} (${String(error)})`);
  });
  const file = names.filter((name) => name.toLowerCase().endsWith('.csv')).sort()[0];
  if (file === undefined) {
    throw new SourceUnavailableError(`csv source: no statement (*.csv) in ${spec.folder}`);
  }
  const path = join(spec.folder, file);
  return {
    description: file,
    rows: (async function* () {
      const file = createReadStream(path);
      const parser = file.pipe(
        parse({
          columns: true,
          delimiter: spec.delimiter ?? ',',
          trim: true,
          skip_empty_lines: true,
          bom: true,
        }),
      );
      try {
        for await (const row of parser) yield row as SourceRow;
      } finally {
        file.destroy();
      }
    })(),
    async complete() {
      await mkdir(join(spec.folder, PROCESSED_FOLDER), { recursive: true });
      await rename(path, join(spec.folder, PROCESSED_FOLDER, file));
    },
  };
}
