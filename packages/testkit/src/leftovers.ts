/**
 * What one test run left behind: processes still carrying its run id in their
 * environment, and schemas, databases and Redis keys on the shared services whose names
 * carry its mark (see {@link uniqueName}). Only names with this run's mark are ever
 * counted or dropped, so other people's data on the same servers is never touched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { SERVICES } from './services.js';
import { RUN_ID_VARIABLE, runMark } from './run-id.js';

/** A process of the run that still runs. */
export interface LeftoverProcess {
  readonly pid: number;
  readonly command: string;
}

/** Everything a run left; empty lists mean a clean run. */
export interface Leftovers {
  readonly processes: readonly LeftoverProcess[];
  /** PostgreSQL schemas and databases on the shared server. */
  readonly schemas: readonly string[];
  /** MariaDB/MySQL databases on the shared server. */
  readonly databases: readonly string[];
  /** Redis keys on the shared server. */
  readonly redisKeys: readonly string[];
  /** Services that could not be checked, with why. */
  readonly unchecked: readonly string[];
}

/** A LIKE pattern matching names that contain the run's mark. */
function likePattern(runId: string): string {
  return `%${runMark(runId).replaceAll('_', '\\_')}%`;
}

/** Processes (other than `except`) whose environment holds this run's id. */
export function processesOfRun(runId: string, except: readonly number[] = []): LeftoverProcess[] {
  const needle = `\0${RUN_ID_VARIABLE}=${runId}\0`;
  const found: LeftoverProcess[] = [];
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid || except.includes(pid)) continue;
    try {
      const environ = `\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`;
      if (!environ.includes(needle)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      if (command) found.push({ pid, command }); // an empty cmdline is a zombie on its way out
    } catch {
      // gone already, or not ours to read
    }
  }
  return found;
}

async function postgresLeftovers(runId: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: SERVICES.postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `select nspname as name from pg_namespace where nspname like $1
       union all select datname from pg_database where datname like $1`,
      [likePattern(runId)],
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function mysqlLeftovers(runId: string): Promise<string[]> {
  const connection = await mysql.createConnection({ uri: SERVICES.mariadb.url });
  try {
    const [rows] = await connection.query(
      'SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?',
      [likePattern(runId)],
    );
    return (rows as { name: string }[]).map((r) => r.name);
  } finally {
    await connection.end().catch(() => undefined);
  }
}

async function redisLeftovers(runId: string): Promise<string[]> {
  const redis = new Redis(SERVICES.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `*${runMark(runId)}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

/** Looks for what the run left; a service that cannot be reached is listed as unchecked. */
export async function findLeftovers(
  runId: string,
  exceptPids: readonly number[] = [],
): Promise<Leftovers> {
  const unchecked: string[] = [];
  const guarded = async (service: string, look: () => Promise<string[]>): Promise<string[]> => {
    try {
      return await look();
    } catch (error) {
      unchecked.push(`${service} (${error instanceof Error ? error.message : String(error)})`);
      return [];
    }
  };
  const [schemas, databases, redisKeys] = await Promise.all([
    guarded('postgres', () => postgresLeftovers(runId)),
    guarded('mariadb', () => mysqlLeftovers(runId)),
    guarded('redis', () => redisLeftovers(runId)),
  ]);
  return {
    processes: processesOfRun(runId, exceptPids),
    schemas,
    databases,
    redisKeys,
    unchecked,
  };
}

/** Kills the leftover processes and drops the leftover schemas, databases and keys. */
export async function removeLeftovers(leftovers: Leftovers): Promise<void> {
  for (const { pid } of leftovers.processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (leftovers.schemas.length > 0) {
    const client = new pg.Client({ connectionString: SERVICES.postgres.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        'select datname as name from pg_database where datname = any($1)',
        [leftovers.schemas],
      );
      const databases = new Set(rows.map((r) => r.name));
      for (const name of leftovers.schemas) {
        const kind = databases.has(name) ? 'database' : 'schema';
        const tail = kind === 'schema' ? ' cascade' : '';
        await client.query(`drop ${kind} if exists "${name}"${tail}`);
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (leftovers.databases.length > 0) {
    const connection = await mysql.createConnection({ uri: SERVICES.mariadb.url });
    try {
      for (const name of leftovers.databases) {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      }
    } finally {
      await connection.end().catch(() => undefined);
    }
  }
  if (leftovers.redisKeys.length > 0) {
    const redis = new Redis(SERVICES.redis.url, { maxRetriesPerRequest: 1 });
    try {
      for (let i = 0; i < leftovers.redisKeys.length; i += 500) {
        await redis.del(...leftovers.redisKeys.slice(i, i + 500));
      }
    } finally {
      redis.disconnect();
    }
  }
}

/** One line: `leak check: 0 processes, 0 databases, 0 schemas, 0 redis keys left`. */
export function leftoverSummary(leftovers: Leftovers): string {
  const line =
    `leak check: ${leftovers.processes.length} processes, ${leftovers.databases.length} databases, ` +
    `${leftovers.schemas.length} schemas, ${leftovers.redisKeys.length} redis keys left`;
  return leftovers.unchecked.length > 0
    ? `${line} (not checked: ${leftovers.unchecked.join('; ')})`
    : line;
}

/** Whether anything was left. */
export function anyLeftovers(leftovers: Leftovers): boolean {
  return (
    leftovers.processes.length +
      leftovers.schemas.length +
      leftovers.databases.length +
      leftovers.redisKeys.length >
    0
  );
}
