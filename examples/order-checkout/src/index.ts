/**
 * The order-checkout example: stock, order, points and wallet services, two on
 * PostgreSQL and two on MariaDB, checking out an order as a concurrent saga (barrier-
 * guarded steps with compensations) or as one XA transaction (prepared local
 * transactions committed or rolled back together, with orphan recovery).
 */
export * from './checkout.js';
export * from './sql.js';
export * from './schema.js';
export * from './resources.js';
export * from './shop-database.js';
export * from './pg-database.js';
export * from './mysql-database.js';
export * from './shop-service.js';
export * from './shop-urls.js';
export * from './checkout-saga.js';
export * from './checkout-xa.js';
export * from './await-final.js';
export * from './checkout-mix.js';
export * from './shop-snapshot.js';
export * from './invariants.js';
export * from './shop-world.js';
export * from './scratch-databases.js';
