/**
 * Empty databases for one run: a PostgreSQL schema for the user service and a MariaDB
 * database for the points service, with unique names, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

/** A created schema or database, a URL that lands in it, and how to remove it. */
export interface ScratchDatabase {
  /** Its name on the server (`[a-z0-9_]` only). */
  readonly name: string;
  /** For PostgreSQL the URL pins the schema (`options=-c search_path=<schema>`). */
  readonly url: string;
  drop(): Promise<void>;
}

/** A unique name `<prefix>_<time>_<random>`, usable unquoted on both engines. */
export function scratchName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

async function pgStatement(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function mysqlStatement(url: string, statement: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/**
 * Creates a schema on the PostgreSQL server `serverUrl` points at (its user must be
 * allowed to).
 *
 * @example
 * const users = await createPgSchema('postgres://postgres@127.0.0.1/test', 'signup_users');
 */
export async function createPgSchema(serverUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = scratchName(prefix);
  await pgStatement(serverUrl, `CREATE SCHEMA "${name}"`);
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    drop: () => pgStatement(serverUrl, `DROP SCHEMA IF EXISTS "${name}" CASCADE`),
  };
}

/**
 * Creates a database on the MariaDB/MySQL server `serverUrl` points at.
 *
 * @example
 * const points = await createMysqlDatabase('mysql://root@127.0.0.1/test', 'signup_points');
 */
export async function createMysqlDatabase(
  serverUrl: string,
  prefix: string,
): Promise<ScratchDatabase> {
  const name = scratchName(prefix);
  await mysqlStatement(serverUrl, `CREATE DATABASE \`${name}\``);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => mysqlStatement(serverUrl, `DROP DATABASE IF EXISTS \`${name}\``),
  };
}
