/**
 * DTM's gRPC service `dtmgimp.Dtm` as a protobuf descriptor (the JSON form protobufjs
 * reads): the package, service, method and message names and the field numbers are DTM's,
 * so DTM's gRPC clients talk to Accord unchanged. In .proto terms:
 *
 * ```proto
 * service Dtm {
 *   rpc NewGid(google.protobuf.Empty) returns (DtmGidReply);
 *   rpc Submit(DtmRequest) returns (google.protobuf.Empty);
 *   rpc Prepare(DtmRequest) returns (google.protobuf.Empty);
 *   rpc Abort(DtmRequest) returns (google.protobuf.Empty);
 *   rpc RegisterBranch(DtmBranchRequest) returns (google.protobuf.Empty);
 *   rpc PrepareWorkflow(DtmRequest) returns (DtmProgressesReply);   // UNIMPLEMENTED
 *   rpc Subscribe / Unsubscribe / DeleteTopic(DtmTopicRequest)      // UNIMPLEMENTED
 * }
 * ```
 */

/** The service's full name. */
export const DTM_SERVICE = 'dtmgimp.Dtm';

const string = (id: number) => ({ type: 'string', id });
const int64 = (id: number) => ({ type: 'int64', id });
const stringMap = (id: number) => ({ keyType: 'string', type: 'string', id });

/** The descriptor, for `@grpc/proto-loader`'s `fromJSON`. */
export const DTM_PROTO = {
  nested: {
    google: {
      nested: { protobuf: { nested: { Empty: { fields: {} } } } },
    },
    dtmgimp: {
      nested: {
        Dtm: {
          methods: {
            NewGid: { requestType: 'google.protobuf.Empty', responseType: 'DtmGidReply' },
            Submit: { requestType: 'DtmRequest', responseType: 'google.protobuf.Empty' },
            Prepare: { requestType: 'DtmRequest', responseType: 'google.protobuf.Empty' },
            Abort: { requestType: 'DtmRequest', responseType: 'google.protobuf.Empty' },
            RegisterBranch: {
              requestType: 'DtmBranchRequest',
              responseType: 'google.protobuf.Empty',
            },
            PrepareWorkflow: { requestType: 'DtmRequest', responseType: 'DtmProgressesReply' },
            Subscribe: { requestType: 'DtmTopicRequest', responseType: 'google.protobuf.Empty' },
            Unsubscribe: { requestType: 'DtmTopicRequest', responseType: 'google.protobuf.Empty' },
            DeleteTopic: { requestType: 'DtmTopicRequest', responseType: 'google.protobuf.Empty' },
          },
        },
        DtmTransOptions: {
          fields: {
            WaitResult: { type: 'bool', id: 1 },
            TimeoutToFail: int64(2),
            RetryInterval: int64(3),
            PassthroughHeaders: { rule: 'repeated', type: 'string', id: 4 },
            BranchHeaders: stringMap(5),
            RequestTimeout: int64(6),
            RetryLimit: int64(7),
          },
        },
        DtmRequest: {
          fields: {
            Gid: string(1),
            TransType: string(2),
            TransOptions: { type: 'DtmTransOptions', id: 3 },
            CustomedData: string(4),
            BinPayloads: { rule: 'repeated', type: 'bytes', id: 5 },
            QueryPrepared: string(6),
            Steps: string(7),
            ReqExtra: stringMap(8),
            RollbackReason: string(9),
          },
        },
        DtmGidReply: { fields: { Gid: string(1) } },
        DtmBranchRequest: {
          fields: {
            Gid: string(1),
            TransType: string(2),
            BranchID: string(3),
            Op: string(4),
            Data: stringMap(5),
            BusiPayload: { type: 'bytes', id: 6 },
          },
        },
        DtmProgressesReply: {
          fields: { Progresses: { rule: 'repeated', type: 'DtmProgress', id: 1 } },
        },
        DtmProgress: {
          fields: {
            Status: string(1),
            BinData: { type: 'bytes', id: 2 },
            BranchID: string(3),
            Op: string(4),
          },
        },
        DtmTopicRequest: { fields: { Topic: string(1), Subscriber: string(2), Remark: string(3) } },
      },
    },
  },
} as const;

/** `DtmTransOptions` as proto-loader hands it over (int64 as numbers, defaults filled). */
export interface DtmTransOptionsMessage {
  readonly WaitResult: boolean;
  readonly TimeoutToFail: number;
  readonly RetryInterval: number;
  readonly BranchHeaders: Record<string, string>;
  readonly RequestTimeout: number;
  readonly RetryLimit: number;
}

/** `DtmRequest` as proto-loader hands it over. */
export interface DtmRequestMessage {
  readonly Gid: string;
  readonly TransType: string;
  readonly TransOptions: DtmTransOptionsMessage | null;
  readonly CustomedData: string;
  readonly BinPayloads: Buffer[];
  readonly QueryPrepared: string;
  readonly Steps: string;
  readonly RollbackReason: string;
}

/** `DtmBranchRequest` as proto-loader hands it over. */
export interface DtmBranchRequestMessage {
  readonly Gid: string;
  readonly TransType: string;
  readonly BranchID: string;
  readonly Op: string;
  readonly Data: Record<string, string>;
  readonly BusiPayload: Buffer;
}
