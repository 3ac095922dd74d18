/**
 * The signup-bonus example: a user service on PostgreSQL writes each sign-up and its
 * `user.created` message in one local transaction (the SDK outbox); relays publish the
 * messages to RabbitMQ; a points service on MariaDB grants the sign-up bonus behind the
 * SDK inbox, so every committed user gets exactly one bonus, whatever crashes, outages
 * and duplicate deliveries happen on the way.
 */
export * from './user-created.js';
export * from './topology.js';
export * from './scratch-space.js';
export * from './user-store.js';
export * from './user-service.js';
export * from './user-relay.js';
export * from './publish-tap.js';
export * from './points-ledger.js';
export * from './points-service.js';
export * from './signup-check.js';
export * from './signup-world.js';
