/**
 * Starts DTM's gRPC API when `ACCORD_GRPC_PORT` is set. Light on purpose: grpc-js and
 * the service are imported here only when the port is configured, so a coordinator
 * without gRPC never loads them.
 */
import type { Logger } from 'pino';
import { ConfigError } from '../common/config-error.js';
import type { ServerConfig } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import { authorize } from '../http/auth.js';
import type { CreateContext } from '../http/create-request.js';
import type { DtmGrpcServer } from './dtm-grpc-server.js';

/** What the gRPC API runs on. */
export interface GrpcStartDeps {
  readonly engine: Engine;
  readonly create: CreateContext;
  readonly logger: Logger;
}

/**
 * The listening gRPC API, or null when no port is configured; a port that cannot be
 * listened on is a {@link ConfigError}.
 */
export async function startConfiguredGrpc(
  config: ServerConfig,
  deps: GrpcStartDeps,
): Promise<DtmGrpcServer | null> {
  if (config.grpcPort === null) return null;
  const { startDtmGrpcServer } = await import('./dtm-grpc-server.js');
  const tokens = { token: config.token, adminToken: config.adminToken };
  try {
    return await startDtmGrpcServer(
      {
        engine: deps.engine,
        create: deps.create,
        authorize: (header, role) => authorize(tokens, header, role),
        waitResultCapMs: config.waitResultCapMs,
        maxSteps: config.maxSteps,
        onInternalError: (err, method) => deps.logger.error({ err, method }, 'gRPC request failed'),
      },
      { host: config.host, port: config.grpcPort, maxMessageBytes: config.bodyLimit },
    );
  } catch (error) {
    throw new ConfigError(
      `ACCORD_GRPC_PORT (${config.grpcPort}) cannot be listened on: ${(error as Error).message}`,
    );
  }
}
