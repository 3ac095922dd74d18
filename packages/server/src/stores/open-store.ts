/**
 * The store registry: a URL picks the backend. Adding a backend means one entry in
 * {@link STORE_SCHEMES}; nothing else looks at the scheme. A backend's module (and so its
 * driver: better-sqlite3, pg, mysql2, ioredis) is imported only when a store of that
 * kind is opened, so a coordinator loads the one driver it uses.
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Store } from '@accord/core';
import { SILENT_LOGGER, type StoreLogger } from './common/logger.js';
import type { Migration } from './common/migration.js';
import { MYSQL_MIGRATIONS } from './mysql/mysql-migrations.js';
import { POSTGRES_MIGRATIONS } from './postgres/postgres-migrations.js';
import { REDIS_MIGRATIONS } from './redis/redis-keys.js';
import { SQLITE_MIGRATIONS } from './sqlite/sqlite-migrations.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Directory that relative `sqlite:` paths are resolved against. */
  readonly dataDir: string;
  readonly logger?: StoreLogger | undefined;
}

/** One backend of the registry. */
export interface StoreScheme {
  /** URL prefixes (lower case) this backend answers to. */
  readonly prefixes: readonly string[];
  /** How the URL is written, for error messages. */
  readonly example: string;
  readonly migrations: readonly Migration[];
  /** Opens a store; imports the backend's module (and its driver) on first use. */
  open(url: string, options: OpenStoreOptions): Promise<Store>;
}

const SQLITE_MEMORY = ':memory:';

/** The path part of a `sqlite:` URL, resolved against the data dir. */
function sqlitePath(url: string, dataDir: string): string {
  let rest = url.slice('sqlite:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs/file.db, sqlite://rel.db
  if (rest === SQLITE_MEMORY) return rest;
  if (rest === '')
    throw new Error('ACCORD_STORE: "sqlite:" needs a file path, e.g. sqlite:accord.db');
  return isAbsolute(rest) ? rest : resolve(dataDir, rest);
}

/** Every backend, by URL scheme. */
export const STORE_SCHEMES: readonly StoreScheme[] = [
  {
    prefixes: ['sqlite:'],
    example: 'sqlite:<path> (relative to the data dir) or sqlite::memory:',
    migrations: SQLITE_MIGRATIONS,
    async open(url, options) {
      const path = sqlitePath(url, options.dataDir);
      const { SqliteStore } = await import('./sqlite/sqlite-store.js');
      if (path !== SQLITE_MEMORY) mkdirSync(dirname(path), { recursive: true });
      return new SqliteStore({ path, logger: options.logger });
    },
  },
  {
    prefixes: ['postgres://', 'postgresql://'],
    example: 'postgres://user:password@host:5432/database (or postgresql://)',
    migrations: POSTGRES_MIGRATIONS,
    async open(url, options) {
      const { PostgresStore } = await import('./postgres/postgres-store.js');
      return new PostgresStore({ connectionString: url, logger: options.logger });
    },
  },
  {
    prefixes: ['mysql://', 'mariadb://'],
    example: 'mysql://user:password@host:3306/database (or mariadb://)',
    migrations: MYSQL_MIGRATIONS,
    async open(url, options) {
      const { MysqlStore } = await import('./mysql/mysql-store.js');
      return new MysqlStore({ url, logger: options.logger });
    },
  },
  {
    prefixes: ['redis://', 'rediss://'],
    example:
      'redis://[user:password@]host:6379[/db][?prefix=accord:&shards=16&cluster=true&durable=true] (or rediss://)',
    migrations: REDIS_MIGRATIONS,
    async open(url, options) {
      const [{ RedisStore }, { parseRedisStoreUrl }] = await Promise.all([
        import('./redis/redis-store.js'),
        import('./redis/redis-connection.js'),
      ]);
      return new RedisStore({ ...parseRedisStoreUrl(url), logger: options.logger });
    },
  },
];

function schemeOf(url: string): StoreScheme {
  const lower = url.trim().toLowerCase();
  const scheme = STORE_SCHEMES.find((s) => s.prefixes.some((p) => lower.startsWith(p)));
  if (scheme) return scheme;
  const accepted = STORE_SCHEMES.map((s) => s.example).join('; ');
  throw new Error(
    `ACCORD_STORE: unsupported store URL "${describeStoreUrl(url)}"; accepted: ${accepted}`,
  );
}

/**
 * Opens the store a URL names (not yet migrated: call `migrate()` before use).
 *
 * @example
 * const store = await openStore('sqlite:accord.db', { dataDir: '/var/lib/accord' });
 * await store.migrate();
 */
export async function openStore(url: string, options: OpenStoreOptions): Promise<Store> {
  const store = await schemeOf(url).open(url.trim(), options);
  (options.logger ?? SILENT_LOGGER).info(
    { store: store.kind, url: describeStoreUrl(url) },
    'store opened',
  );
  return store;
}

/** The migrations of the backend a URL names, e.g. for `accord migrate --print`. */
export function storeMigrations(url: string): readonly Migration[] {
  return schemeOf(url).migrations;
}

/**
 * The URL with any password replaced by `***`, safe for logs and error messages.
 *
 * @example
 * describeStoreUrl('postgres://accord:s3cret@db/accord'); // 'postgres://accord:***@db/accord'
 */
export function describeStoreUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^@/?#]*@/i, '$1***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}
