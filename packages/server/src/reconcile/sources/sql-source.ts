/**
 * A SQL query read as a stream: a server-side cursor on PostgreSQL, a streamed result on
 * MariaDB/MySQL, an iterating statement on SQLite. Only a batch is in memory at a time.
 */
import { redactUrl } from '@accord/protocol';
import type { SourceRow } from '../core/rules.js';
import type { OpenedSource, SqlSourceSpec, TimeWindow } from './source-spec.js';
import { SourceUnavailableError } from './source-spec.js';
import { bindWindow } from './window-parameters.js';

/** Rows fetched per round trip from a PostgreSQL cursor. */
const FETCH_ROWS = 1000;

/** Opens the query of `spec` for `window`. */
export function openSqlSource(spec: SqlSourceSpec, window: TimeWindow): OpenedSource {
  const scheme = spec.url.slice(0, spec.url.indexOf(':'));
  const rows =
    scheme === 'postgres' || scheme === 'postgresql'
      ? postgresRows(spec, window)
      : scheme === 'mysql' || scheme === 'mariadb'
        ? mysqlRows(spec, window)
        : scheme === 'sqlite'
          ? sqliteRows(spec, window)
          : undefined;
  if (rows === undefined) {
    throw new SourceUnavailableError(
      `sql source: url scheme "${scheme}" is not postgres, mysql, mariadb or sqlite`,
    );
  }
  return { description: redactUrl(spec.url), rows, complete: () => Promise.resolve() };
}

async function* postgresRows(spec: SqlSourceSpec, window: TimeWindow): AsyncGenerator<SourceRow> {
  const { default: pg } = await import('pg');
  const { text, names } = bindWindow(spec.query, 'dollar');
  const client = new pg.Client({ connectionString: spec.url });
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(
      `DECLARE accord_reconcile NO SCROLL CURSOR FOR ${text}`,
      names.map((name) => window[name]),
    );
    for (;;) {
      const batch = await client.query<SourceRow>(`FETCH ${FETCH_ROWS} FROM accord_reconcile`);
      yield* batch.rows;
      if (batch.rows.length < FETCH_ROWS) break;
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

async function* mysqlRows(spec: SqlSourceSpec, window: TimeWindow): AsyncGenerator<SourceRow> {
  const { default: mysql } = await import('mysql2');
  const { text, names } = bindWindow(spec.query, 'question');
  const url = spec.url.replace(/^mariadb:/, 'mysql:');
  // Dates travel as UTC and DECIMAL/BIGINT as text, so no value loses precision.
  const connection = mysql.createConnection({
    uri: url,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
  });
  try {
    // The stream pauses the connection while the merge is busy: memory stays bounded.
    const stream = connection
      .query({ sql: text, values: names.map((name) => window[name]) })
      .stream({ highWaterMark: FETCH_ROWS });
    for await (const row of stream) yield row as SourceRow;
  } finally {
    await new Promise<void>((resolve) => connection.end(() => resolve()));
  }
}

async function* sqliteRows(spec: SqlSourceSpec, window: TimeWindow): AsyncGenerator<SourceRow> {
  const { default: Database } = await import('better-sqlite3');
  const { text, names } = bindWindow(spec.query, 'question');
  const path = decodeURIComponent(spec.url.replace(/^sqlite:(\/\/)?/, ''));
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    // SQLite has no date type: the window is compared as ISO-8601 text.
    const values = names.map((name) => window[name].toISOString());
    for (const row of db.prepare(text).iterate(...values)) yield row as SourceRow;
  } finally {
    db.close();
  }
}
