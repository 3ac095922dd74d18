/**
 * A dedicated PostgreSQL schema for one coordinator run, reached through a URL whose
 * `options=-c search_path=<schema>` puts every connection in it.
 */
import { randomBytes } from 'node:crypto';

/** A created schema and the URL that lands in it. */
export interface BenchSchema {
  readonly schema: string;
  /** `baseUrl` plus `options=-c%20search_path%3D<schema>`. */
  readonly url: string;
  drop(): Promise<void>;
}

/** `baseUrl` with its `options` parameter set to `-c search_path=<schema>`. */
export function withSearchPath(baseUrl: string, schema: string): string {
  const url = new URL(baseUrl);
  url.searchParams.delete('options');
  url.hash = '';
  const separator = url.search === '' ? '?' : '&';
  return `${url.toString()}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** The URL with any password replaced by `***`, for messages and the results file. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

async function execute(baseUrl: string, sql: string): Promise<void> {
  // Loaded only for --store postgres, so sqlite runs never need the driver.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(sql);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail = error instanceof Error && error.message !== '' ? error.message : String(code);
    const where = redactUrl(baseUrl);
    throw new Error(`postgres at ${where}: "${sql}" failed: ${detail}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a uniquely named schema on the server `baseUrl` points at. */
export async function createBenchSchema(baseUrl: string): Promise<BenchSchema> {
  const schema = `accord_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await execute(baseUrl, `create schema "${schema}"`);
  return {
    schema,
    url: withSearchPath(baseUrl, schema),
    drop: () => execute(baseUrl, `drop schema if exists "${schema}" cascade`),
  };
}
