/**
 * @accord/core/schemas: the one contract of the coordinator's HTTP API. Every request
 * body, query string, path parameter and reply as a JSON Schema (TypeBox), from which
 * the coordinator validates, its OpenAPI document is generated and the SDK's wire types
 * are derived.
 *
 * Every route the coordinator registers takes its schemas from here, one file per API
 * family (native transactions and notifications, system routes, TCC for REST, DTM); the
 * OpenAPI test fails for a registered route the document cannot describe.
 */
export * from './common.js';
export * from './error-body.js';
export * from './transaction-requests.js';
export * from './transaction-replies.js';
export * from './notifications.js';
export * from './system.js';
export * from './participants.js';
export * from './operator.js';
export * from './tcc-rest.js';
export * from './dtm.js';
export * from './dashboard.js';
export * from './reconciliations.js';
