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
export { CRASH_POINTS, type CrashPointName } from './engine/crash-points.js';
export { HTTP_STATUS } from './http/error-mapping.js';
export { openStore } from './stores/open-store.js';
export {
  BrokerRegistry,
  BrokerBranchCaller,
  parseBrokersSetting,
  parseBrokerTarget,
  isBrokerTarget,
  type BrokerConfig,
  type BrokerTarget,
} from './brokers/index.js';
