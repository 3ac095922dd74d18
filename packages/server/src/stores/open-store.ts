/**
 * The store registry: a URL picks the backend. Adding a backend means one entry in
 * {@link STORE_SCHEMES} and its URL forms in store-url.ts; nothing else looks at the
 * scheme. A backend's module (and so its
 * driver: better-sqlite3, pg, mysql2, ioredis) is imported only when a store of that
 * kind is opened, so a coordinator loads the one driver it uses.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '@accord/core';
import { redactUrl } from '@accord/protocol';
import { SILENT_LOGGER, type StoreLogger } from './common/logger.js';
import type { Migration } from './common/migration.js';
import { MYSQL_MIGRATIONS } from './mysql/mysql-migrations.js';
import { POSTGRES_MIGRATIONS } from './postgres/postgres-migrations.js';
import { REDIS_MIGRATIONS } from './redis/redis-keys.js';
import { SQLITE_MIGRATIONS } from './sqlite/sqlite-migrations.js';
import { sqliteFile, storeKindOf, type StoreKind } from './store-url.js';

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Directory that relative `sqlite:` paths are resolved against. */
  readonly dataDir: string;
  readonly logger?: StoreLogger | undefined;
}

/** One backend of the registry. */
export interface StoreScheme {
  /** The backend; its URL forms are in `STORE_URL_FORMS` (store-url.ts). */
  readonly kind: StoreKind;
  readonly migrations: readonly Migration[];
  /** Opens a store; imports the backend's module (and its driver) on first use. */
  open(url: string, options: OpenStoreOptions): Promise<Store>;
}

/** Every backend, by kind. */
export const STORE_SCHEMES: readonly StoreScheme[] = [
  {
    kind: 'sqlite',
    migrations: SQLITE_MIGRATIONS,
    async open(url, options) {
      const path = sqliteFile(url, options.dataDir);
      const { SqliteStore } = await import('./sqlite/sqlite-store.js');
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      return new SqliteStore({ path, logger: options.logger });
    },
  },
  {
    kind: 'postgres',
    migrations: POSTGRES_MIGRATIONS,
    async open(url, options) {
      const { PostgresStore } = await import('./postgres/postgres-store.js');
      return new PostgresStore({ connectionString: url, logger: options.logger });
    },
  },
  {
    kind: 'mysql',
    migrations: MYSQL_MIGRATIONS,
    async open(url, options) {
      const { MysqlStore } = await import('./mysql/mysql-store.js');
      return new MysqlStore({ url, logger: options.logger });
    },
  },
  {
    kind: 'redis',
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

/** The backend a URL names; throws a `ConfigError` naming `ACCORD_STORE` for another. */
function schemeOf(url: string): StoreScheme {
  const kind = storeKindOf(url);
  return STORE_SCHEMES.find((s) => s.kind === kind)!;
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
  return redactUrl(url);
}
