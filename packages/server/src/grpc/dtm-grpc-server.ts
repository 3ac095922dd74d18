/**
 * The gRPC listener of DTM's service `dtmgimp.Dtm`. This module loads grpc-js and
 * proto-loader, so the server imports it only when a gRPC port is configured.
 */
import type {
  sendUnaryData,
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import type { DtmGrpcDeps } from './dtm-grpc-service.js';
import { DTM_GRPC_ROLES, dtmGrpcHandlers, grpcFailureOf } from './dtm-grpc-service.js';
import { DTM_PROTO, DTM_SERVICE } from './dtm-proto.js';

/** Where to listen, and the largest request message. */
export interface DtmGrpcListen {
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
}

/** A listening gRPC server. */
export interface DtmGrpcServer {
  /** `host:port` it listens on (the port the system chose when 0 was asked). */
  readonly address: string;
  /** Stops taking calls, lets running ones finish for up to `graceMs`, then ends them. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the gRPC listener; resolves once it listens. */
export async function startDtmGrpcServer(
  deps: DtmGrpcDeps,
  listen: DtmGrpcListen,
): Promise<DtmGrpcServer> {
  const definition = fromJSON(DTM_PROTO as never, {
    keepCase: true,
    longs: Number,
    defaults: true,
    arrays: true,
    objects: true,
  })[DTM_SERVICE] as ServiceDefinition;
  const handlers = dtmGrpcHandlers(deps);
  const implementation: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const role = DTM_GRPC_ROLES[name as keyof typeof DTM_GRPC_ROLES];
    implementation[name] = (
      call: ServerUnaryCall<unknown, object>,
      done: sendUnaryData<object>,
    ) => {
      const run = async () => {
        const header = call.metadata.get('authorization')[0];
        deps.authorize(typeof header === 'string' ? header : undefined, role);
        return (handler as (request: unknown) => Promise<object>)(call.request);
      };
      run().then(
        (reply) => done(null, reply),
        (error: unknown) => {
          const failure = grpcFailureOf(error);
          if (failure.httpStatus >= 500) deps.onInternalError?.(error, name);
          done({ code: failure.code, details: failure.details });
        },
      );
    };
  }
  const server = new Server({
    'grpc.max_receive_message_length': listen.maxMessageBytes,
    'grpc.max_send_message_length': 1_048_576,
  });
  // Methods without a handler (workflow, topics) answer UNIMPLEMENTED.
  server.addService(definition, implementation);
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${host}:${listen.port}`,
      ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  return {
    address: `${host}:${port}`,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
