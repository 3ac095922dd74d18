/**
 * Store backends of the coordinator and the registry that picks one from a URL. The
 * conformance suite every backend passes is the private workspace package
 * `@accord/store-conformance`, so production code never loads `node:test`.
 */
export {
  describeStoreUrl,
  openStore,
  storeMigrations,
  STORE_SCHEMES,
  type OpenStoreOptions,
  type StoreScheme,
} from './open-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js';
export {
  MysqlStore,
  type MysqlStoreOptions,
  type MysqlConnectionOptions,
} from './mysql/mysql-store.js';
export { RedisStore, REDIS_MIGRATIONS, type RedisStoreOptions } from './redis/redis-store.js';
export { parseRedisStoreUrl } from './redis/redis-connection.js';
export { SQLITE_MIGRATIONS } from './sqlite/sqlite-migrations.js';
export { MYSQL_MIGRATIONS } from './mysql/mysql-migrations.js';
export { POSTGRES_MIGRATIONS } from './postgres/postgres-migrations.js';
export { renderMigrations, type Migration } from './common/migration.js';
export { SILENT_LOGGER, type StoreLogger } from './common/logger.js';
