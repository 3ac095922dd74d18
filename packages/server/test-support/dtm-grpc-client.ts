/**
 * A DTM-style gRPC client for tests: the `dtmgimp.Dtm` service as DTM's gRPC clients
 * define it, written out here as .proto text and loaded independently of the server's
 * own descriptor, so a wrong field number on either side shows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, Metadata, ServiceError } from '@grpc/grpc-js';
import { credentials, loadPackageDefinition, Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = `
syntax = "proto3";
package dtmgimp;
import "google/protobuf/empty.proto";

service Dtm {
  rpc NewGid(google.protobuf.Empty) returns (DtmGidReply) {}
  rpc Submit(DtmRequest) returns (google.protobuf.Empty) {}
  rpc Prepare(DtmRequest) returns (google.protobuf.Empty) {}
  rpc Abort(DtmRequest) returns (google.protobuf.Empty) {}
  rpc RegisterBranch(DtmBranchRequest) returns (google.protobuf.Empty) {}
  rpc PrepareWorkflow(DtmRequest) returns (DtmProgressesReply) {}
}

message DtmTransOptions {
  bool WaitResult = 1;
  int64 TimeoutToFail = 2;
  int64 RetryInterval = 3;
  repeated string PassthroughHeaders = 4;
  map<string, string> BranchHeaders = 5;
  int64 RequestTimeout = 6;
  int64 RetryLimit = 7;
}

message DtmRequest {
  string Gid = 1;
  string TransType = 2;
  DtmTransOptions TransOptions = 3;
  string CustomedData = 4;
  repeated bytes BinPayloads = 5;
  string QueryPrepared = 6;
  string Steps = 7;
  map<string, string> ReqExtra = 8;
  string RollbackReason = 9;
}

message DtmGidReply { string Gid = 1; }

message DtmBranchRequest {
  string Gid = 1;
  string TransType = 2;
  string BranchID = 3;
  string Op = 4;
  map<string, string> Data = 5;
  bytes BusiPayload = 6;
}

message DtmProgressesReply { repeated DtmProgress Progresses = 1; }
message DtmProgress { string Status = 1; bytes BinData = 2; string BranchID = 3; string Op = 4; }
`;

type Unary = (
  request: object,
  metadata: Metadata,
  callback: (error: ServiceError | null, reply?: Record<string, unknown>) => void,
) => void;

/** A client of a coordinator's `dtmgimp.Dtm` service. */
export class DtmGrpcClient {
  private readonly client: Client & Record<string, Unary>;

  /** `dir`: a folder to write the .proto file to. */
  constructor(address: string, dir: string, token?: string) {
    const file = join(dir, 'dtmgimp.proto');
    writeFileSync(file, PROTO);
    const definition = loadSync(file, { keepCase: true, longs: Number, defaults: true });
    const pkg = loadPackageDefinition(definition) as unknown as {
      dtmgimp: { Dtm: new (address: string, creds: unknown) => Client & Record<string, Unary> };
    };
    this.client = new pkg.dtmgimp.Dtm(address, credentials.createInsecure());
    this.token = token;
  }

  private readonly token: string | undefined;

  /** Calls a method; resolves with the reply, rejects with the gRPC error. */
  call(method: string, request: object = {}): Promise<Record<string, unknown>> {
    const metadata = new GrpcMetadata();
    if (this.token !== undefined) metadata.set('authorization', `Bearer ${this.token}`);
    return new Promise((resolve, reject) => {
      this.client[method]!.call(this.client, request, metadata, (error, reply) =>
        error ? reject(error) : resolve(reply ?? {}),
      );
    });
  }

  /** The gRPC status code a call ends with (0 when it succeeds). */
  async codeOf(method: string, request: object = {}): Promise<number> {
    try {
      await this.call(method, request);
      return 0;
    } catch (error) {
      return (error as ServiceError).code;
    }
  }

  close(): void {
    this.client.close();
  }
}
