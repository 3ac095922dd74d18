/**
 * The business tables of each service, as portable DDL. The dialects differ only in what
 * follows the closing parenthesis (InnoDB and an exact, binary collation on MariaDB).
 */
import type { ResourceName } from './checkout.js';

/** Databases the services run on. `mysql` covers MariaDB and MySQL (InnoDB). */
export type Dialect = 'postgres' | 'mysql';

/** What sets a dialect apart in the DDL. */
interface DialectSpec {
  /** Text after the closing parenthesis of CREATE TABLE. */
  readonly tableOptions: string;
}

const DIALECTS: Record<Dialect, DialectSpec> = {
  postgres: { tableOptions: '' },
  mysql: { tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin' },
};

/** Table name and column definitions of each service's tables. */
const TABLES: Record<ResourceName, ReadonlyArray<readonly [string, readonly string[]]>> = {
  stock: [
    ['stock', ['sku varchar(64) PRIMARY KEY', 'available bigint NOT NULL CHECK (available >= 0)']],
  ],
  order: [
    [
      'orders',
      [
        'id varchar(64) PRIMARY KEY',
        'customer varchar(64) NOT NULL',
        'sku varchar(64) NOT NULL',
        'qty integer NOT NULL',
        'amount bigint NOT NULL',
        // placed: created by a checkout; cancelled: its checkout was refused (saga only).
        "status varchar(16) NOT NULL CHECK (status IN ('placed', 'cancelled'))",
      ],
    ],
  ],
  points: [
    [
      'points',
      ['customer varchar(64) PRIMARY KEY', 'balance bigint NOT NULL CHECK (balance >= 0)'],
    ],
  ],
  wallet: [
    [
      'wallet',
      ['customer varchar(64) PRIMARY KEY', 'balance bigint NOT NULL CHECK (balance >= 0)'],
    ],
  ],
};

/**
 * The `CREATE TABLE IF NOT EXISTS` statements of one service on one dialect.
 *
 * @example
 * shopDdl('wallet', 'mysql');
 * // ['CREATE TABLE IF NOT EXISTS wallet (\n  customer varchar(64) PRIMARY KEY, …) ENGINE=InnoDB …']
 */
export function shopDdl(resource: ResourceName, dialect: Dialect): string[] {
  const { tableOptions } = DIALECTS[dialect];
  return TABLES[resource].map(
    ([table, columns]) =>
      `CREATE TABLE IF NOT EXISTS ${table} (\n  ${columns.join(',\n  ')}\n)${tableOptions}`,
  );
}
