/**
 * Helpers for Accord's own tests: shared services and temporary resources on them,
 * private service instances, waiting, and the leak check's pieces.
 */
export * from './services.js';
export { freePort, waitFor } from './waiting.js';
export { TcpProxy } from './tcp-proxy.js';
export {
  REDIS_CLUSTER,
  createTempClusterKeyPrefix,
  dropClusterKeys,
  requireRedisCluster,
} from './redis-cluster.js';
export { PrivatePostgres } from './private-postgres.js';
export type { PrivatePostgresOptions } from './private-postgres.js';
export { currentRunId, newRunId, RUN_ID_VARIABLE, runMark } from './run-id.js';
export {
  anyLeftovers,
  findLeftovers,
  leftoverSummary,
  processesOfRun,
  removeLeftovers,
} from './leftovers.js';
export type { LeftoverProcess, Leftovers } from './leftovers.js';
