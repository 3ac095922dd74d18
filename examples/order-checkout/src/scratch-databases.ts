/**
 * Empty databases for a run of the demo: a PostgreSQL schema or a MariaDB database per
 * service, created with a unique name and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { ResourceName } from './checkout.js';
import { RESOURCES } from './checkout.js';
import type { Dialect } from './schema.js';
import type { DatabaseTarget } from './shop-world.js';

/** A created database (or schema) and how to remove it. */
export interface ScratchDatabase extends DatabaseTarget {
  /** Its name on the server. */
  readonly name: string;
  drop(): Promise<void>;
}

/** The servers to create scratch databases on. */
export interface ScratchServers {
  /** A PostgreSQL URL whose user may create schemas. */
  readonly postgresUrl: string;
  /** A MariaDB/MySQL URL whose user may create databases. */
  readonly mysqlUrl: string;
}

/** Runs one statement on its own PostgreSQL connection. */
async function pgStatement(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs one statement on its own MariaDB/MySQL connection. */
async function mysqlStatement(url: string, statement: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/** How each engine makes and removes a scratch database (names are `[a-z0-9_]` only). */
const ENGINES: Record<
  Dialect,
  (servers: ScratchServers, name: string) => Promise<ScratchDatabase>
> = {
  async postgres({ postgresUrl }, name) {
    await pgStatement(postgresUrl, `CREATE SCHEMA "${name}"`);
    const url = new URL(postgresUrl);
    url.searchParams.set('options', `-c search_path=${name}`);
    return {
      dialect: 'postgres',
      url: url.toString(),
      name,
      drop: () => pgStatement(postgresUrl, `DROP SCHEMA IF EXISTS "${name}" CASCADE`),
    };
  },
  async mysql({ mysqlUrl }, name) {
    await mysqlStatement(mysqlUrl, `CREATE DATABASE \`${name}\``);
    const url = new URL(mysqlUrl);
    url.pathname = `/${name}`;
    return {
      dialect: 'mysql',
      url: url.toString(),
      name,
      drop: () => mysqlStatement(mysqlUrl, `DROP DATABASE IF EXISTS \`${name}\``),
    };
  },
};

/**
 * Creates one scratch database per service, on the engine `placement` names. If one
 * cannot be created, those already made are dropped and the error is thrown.
 *
 * @example
 * const dbs = await createScratchDatabases(servers, DEFAULT_PLACEMENT);
 * try { ... } finally { await dropScratchDatabases(dbs); }
 */
export async function createScratchDatabases(
  servers: ScratchServers,
  placement: Readonly<Record<ResourceName, Dialect>>,
): Promise<Record<ResourceName, ScratchDatabase>> {
  const run = randomBytes(3).toString('hex');
  const made: Partial<Record<ResourceName, ScratchDatabase>> = {};
  try {
    for (const resource of RESOURCES) {
      made[resource] = await ENGINES[placement[resource]](
        servers,
        `order_checkout_${resource}_${run}`,
      );
    }
  } catch (error) {
    await dropScratchDatabases(made).catch(() => undefined);
    throw error;
  }
  return made as Record<ResourceName, ScratchDatabase>;
}

/** Drops every database given, trying all of them; throws the first failure. */
export async function dropScratchDatabases(
  dbs: Partial<Record<ResourceName, ScratchDatabase>>,
): Promise<void> {
  const results = await Promise.allSettled(Object.values(dbs).map((db) => db.drop()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
