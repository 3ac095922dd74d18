/**
 * The flight-booking example (TCC for REST): two airlines, each with its own SQLite
 * database, hold seats that expire; a booking client confirms both seats through the
 * coordinator's `PUT /tcc/coordinator/confirm`.
 */
export * from './seat-store.js';
export * from './airline-service.js';
export * from './coordinator-child.js';
export * from './booking.js';
