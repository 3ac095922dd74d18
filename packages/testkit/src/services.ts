/**
 * The shared services the suites use, and temporary resources on them. Suites that need
 * a real service call {@link requireService}: without it they skip with one line naming
 * the service and how to enable it, unless ACCORD_REQUIRE_SERVICES=1 (CI), where a
 * missing service fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { currentRunId, runMark } from './run-id.js';

/** Services the suites may use, with where to find them and how to start them. */
export const SERVICES = {
  postgres: {
    url: process.env['ACCORD_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    hint: 'start PostgreSQL on 127.0.0.1:5432 (trust auth, database "test") or set ACCORD_TEST_POSTGRES_URL',
  },
  /**
   * A PostgreSQL with prepared transactions enabled (XA). `npm test` starts a private one
   * and sets the variable; the shared server is never reconfigured for it.
   */
  postgresXa: {
    url: process.env['ACCORD_TEST_XA_POSTGRES_URL'],
    hint: 'run the suite through `npm test` (it starts a private PostgreSQL for XA) or set ACCORD_TEST_XA_POSTGRES_URL to a server with max_prepared_transactions > 0',
  },
  mariadb: {
    url: process.env['ACCORD_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
    hint: 'start MariaDB/MySQL on 127.0.0.1:3306 (user root, empty password) or set ACCORD_TEST_MYSQL_URL',
  },
  redis: {
    url: process.env['ACCORD_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    hint: 'start Redis on 127.0.0.1:6379 or set ACCORD_TEST_REDIS_URL',
  },
  rabbitmq: {
    url: process.env['ACCORD_TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    hint: 'start RabbitMQ on 127.0.0.1:5672 (guest/guest) or set ACCORD_TEST_RABBITMQ_URL',
  },
  nats: {
    url: process.env['ACCORD_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222',
    hint: 'start nats-server with JetStream (-js) on 127.0.0.1:4222 or set ACCORD_TEST_NATS_URL',
  },
} as const;

/** A service a suite needs. */
export type ServiceName = keyof typeof SERVICES;

const probes = new Map<ServiceName, Promise<string | null>>();

async function probe(name: ServiceName): Promise<string | null> {
  if (name === 'postgres' || name === 'postgresXa') {
    const url = SERVICES[name].url;
    if (url === undefined) return 'ACCORD_TEST_XA_POSTGRES_URL is not set';
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ n: string }>(
        "select current_setting('max_prepared_transactions') as n",
      );
      if (name === 'postgresXa' && !(Number(rows[0]?.n) > 0)) {
        return 'max_prepared_transactions is 0 there';
      }
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (name === 'mariadb') {
    try {
      const connection = await mysql.createConnection({
        uri: SERVICES.mariadb.url,
        connectTimeout: 3000,
      });
      await connection.query('select 1');
      await connection.end();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  if (name === 'redis') {
    const redis = new Redis(SERVICES.redis.url, {
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
    });
    try {
      await redis.connect();
      await redis.ping();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      redis.disconnect();
    }
  }
  if (name === 'rabbitmq') {
    try {
      const connection = await amqp.connect(SERVICES.rabbitmq.url, { timeout: 3000 });
      await connection.close();
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  if (name === 'nats') {
    try {
      const connection = await connectNats({
        servers: SERVICES.nats.url,
        timeout: 3000,
        reconnect: false,
      });
      try {
        // JetStream must be enabled, not just core NATS.
        await (await connection.jetstreamManager()).getAccountInfo();
      } finally {
        await connection.close();
      }
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  return `unknown service ${String(name)}`;
}

/** True when CI demands every service (a missing one fails instead of skipping). */
export function servicesRequired(): boolean {
  return process.env['ACCORD_REQUIRE_SERVICES'] === '1';
}

/**
 * Resolves to a skip reason (string) if the service is absent and not required, or null
 * if it is there. Throws if it is absent and required.
 *
 * @example
 * test('pg suite', async (t) => {
 *   const skip = await requireService('postgres');
 *   if (skip) return t.skip(skip);
 * });
 */
export async function requireService(name: ServiceName): Promise<string | null> {
  let pending = probes.get(name);
  if (!pending) {
    pending = probe(name);
    probes.set(name, pending);
  }
  const problem = await pending;
  if (problem === null) return null;
  const line = `${name} unavailable (${problem}); ${SERVICES[name].hint}`;
  if (servicesRequired()) throw new Error(`ACCORD_REQUIRE_SERVICES=1 but ${line}`);
  return line;
}

/**
 * A unique name for a schema, database or key prefix: `<prefix>_<run id>_<random>`. The
 * run id (see {@link currentRunId}) lets the runner's leak check find this run's leftovers.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}${runMark(currentRunId())}${randomBytes(4).toString('hex')}`;
}

/** The PostgreSQL servers a temporary schema can be made on. */
export type PostgresService = 'postgres' | 'postgresXa';

/** Where {@link createTempSchema} makes the schema. */
export interface TempSchemaOptions {
  /** A service of {@link SERVICES} (default `postgres`, the shared server). */
  readonly service?: PostgresService;
  /** Any server instead, e.g. a {@link PrivatePostgres}'s `url`. */
  readonly serverUrl?: string;
}

function postgresServerUrl(options: TempSchemaOptions): string {
  if (options.serverUrl) return options.serverUrl;
  const service = options.service ?? 'postgres';
  const url = SERVICES[service].url;
  if (url === undefined) throw new Error(`no ${service} server: ${SERVICES[service].hint}`);
  return url;
}

/** A fresh PostgreSQL schema, plus a connection URL whose search_path points at it. */
export interface TempSchema {
  readonly schema: string;
  /** URL with `options=-c search_path=<schema>` so any client lands in the schema. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates an isolated PostgreSQL schema for one test run, on the shared server unless
 * `options` names another.
 *
 * @example
 * const schema = await createTempSchema('accord_xa', { service: 'postgresXa' });
 */
export async function createTempSchema(
  prefix = 'accord_test',
  options: TempSchemaOptions = {},
): Promise<TempSchema> {
  const serverUrl = postgresServerUrl(options);
  const schema = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create schema "${schema}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh MariaDB/MySQL database and a URL pointing at it. */
export interface TempDatabase {
  readonly database: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates an isolated MariaDB/MySQL database for one test run. */
export async function createTempMysqlDatabase(prefix = 'accord_test'): Promise<TempDatabase> {
  const database = uniqueName(prefix);
  const admin = await mysql.createConnection({ uri: SERVICES.mariadb.url });
  try {
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVICES.mariadb.url);
  url.pathname = `/${database}`;
  return {
    database,
    url: url.toString(),
    async drop() {
      const c = await mysql.createConnection({ uri: SERVICES.mariadb.url });
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await c.end();
      }
    },
  };
}

/** A unique Redis key prefix for one test run, and a way to delete every key under it. */
export interface TempKeyPrefix {
  readonly prefix: string;
  /** The Redis URL to use. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Reserves a key prefix (`<prefix>_<unique>:`) on the shared Redis, or on `serverUrl`;
 * `drop()` deletes its keys with SCAN.
 */
export function createTempKeyPrefix(
  prefix = 'accord_test',
  serverUrl: string = SERVICES.redis.url,
): TempKeyPrefix {
  const unique = `${uniqueName(prefix)}:`;
  return {
    prefix: unique,
    url: serverUrl,
    async drop() {
      const redis = new Redis(serverUrl, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          // Keys may sit inside a hash tag: match the prefix anywhere near the start.
          const [next, keys] = await redis.scan(cursor, 'MATCH', `*${unique}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** A temporary directory, removed by `remove()`. */
export function tempDir(prefix = 'accord-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
