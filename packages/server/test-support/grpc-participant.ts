/**
 * A gRPC participant for tests: a real grpc-js server on loopback whose methods take and
 * return raw bytes, records every call (method, metadata, request bytes) and answers as
 * a script says (a gRPC status code; 0 is OK).
 */
import type {
  MethodDefinition,
  ServerUnaryCall,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Server, ServerCredentials } from '@grpc/grpc-js';

/** One call the participant received. */
export interface GrpcCallRecord {
  /** The method's path, e.g. `/busi.Busi/TransOut`. */
  readonly method: string;
  /** Metadata keys and their first values. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Decides the status of a call; 0 (OK) when it returns nothing. */
export type GrpcScript = (call: GrpcCallRecord) => number | undefined;

const identity = (value: Buffer) => value;

/** A participant serving the given methods of one service, e.g. `busi.Busi`. */
export class GrpcParticipant {
  readonly calls: GrpcCallRecord[] = [];
  private server: Server | undefined;
  private answer: GrpcScript = () => 0;
  /** `127.0.0.1:port` once started. */
  address = '';

  constructor(
    private readonly service: string,
    private readonly methods: readonly string[],
  ) {}

  /** Sets how calls are answered from now on. */
  script(answer: GrpcScript): void {
    this.answer = answer;
  }

  /** The calls made to one method, in order. */
  callsTo(method: string): GrpcCallRecord[] {
    return this.calls.filter((c) => c.method === `/${this.service}/${method}`);
  }

  async start(): Promise<void> {
    const definition: Record<string, MethodDefinition<Buffer, Buffer>> = {};
    const handlers: UntypedServiceImplementation = {};
    for (const name of this.methods) {
      const path = `/${this.service}/${name}`;
      definition[name] = {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      };
      handlers[name] = (call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => {
        const metadata: Record<string, string> = {};
        for (const [key, values] of Object.entries(call.metadata.getMap())) {
          metadata[key] = String(values);
        }
        const record = { method: path, metadata, body: call.request };
        this.calls.push(record);
        const code = this.answer(record) ?? 0;
        if (code === 0) done(null, Buffer.alloc(0));
        else done({ code, details: `scripted status ${code}` });
      };
    }
    const server = new Server();
    server.addService(definition, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
    this.address = `127.0.0.1:${port}`;
  }

  /** DTM's form of a target: `host:port/service/Method`. */
  target(method: string): string {
    return `${this.address}/${this.service}/${method}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    server?.forceShutdown();
  }
}
