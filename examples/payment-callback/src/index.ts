/**
 * The payment-callback example: a payment platform tells merchants their orders were
 * paid through Accord's best-effort notifications (redelivered on a schedule until
 * acknowledged), and merchants apply each payment exactly once, by callback or by asking
 * the coordinator. Every service keeps its own SQLite database.
 */
export * from './payment-notice.js';
export * from './payment-store.js';
export * from './payment-notifier.js';
export * from './payment-service.js';
export * from './merchant-store.js';
export * from './callback-faults.js';
export * from './merchant-reconcile.js';
export * from './merchant-service.js';
export * from './payment-world.js';
