/**
 * The bank-transfer example: two account services with their own databases, and money
 * moved between them by saga, TCC and two-phase message. Reused by the end-to-end tests.
 */
export * from './ledger.js';
export { SqliteLedger } from './sqlite-ledger.js';
export { PgLedger } from './pg-ledger.js';
export * from './account-service.js';
export * from './faults.js';
export * from './call-monitor.js';
export * from './transfers.js';
export * from './bank-setup.js';
