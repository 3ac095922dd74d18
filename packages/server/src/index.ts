/**
 * @accord/server: the coordinator. Most users run it with `accord serve`; tests and
 * embedders can start it in-process with {@link startServer}.
 */
export { startServer, type RunningServer, type StartOptions } from './server.js';
export {
  loadConfig,
  redactConfig,
  ConfigError,
  type ServerConfig,
  type ConfigFlags,
} from './config/config.js';
export type { LogFormat } from './observability/logger.js';
export { CRASH_POINTS, type CrashPointName } from './engine/crash-points.js';
export { HTTP_STATUS } from './http/error-mapping.js';
export { tccRestGid } from './http/tcc-rest-request.js';
export { openStore } from './stores/open-store.js';
// The publishers' client libraries load only when a broker is used.
export { BrokerRegistry } from './brokers/broker-registry.js';
export { BrokerBranchCaller } from './brokers/broker-branch-caller.js';
export { parseBrokersSetting, type BrokerConfig } from './brokers/broker-config.js';
export { parseBrokerTarget, isBrokerTarget, type BrokerTarget } from './brokers/broker-target.js';
