/**
 * Calls gRPC branch targets (`grpc://host:port/package.Service/Method`) as unary calls
 * whose request is the stored payload's bytes, unchanged, and whose reply is not read:
 * the status decides. OK is a success, ABORTED a refusal, FAILED_PRECONDITION "not yet"
 * (DTM's ongoing), anything else an unknown outcome, retried with backoff.
 *
 * Channels are kept per target address (HTTP/2 with keep-alive pings); grpc-js is loaded
 * with the first call. Host names are resolved here, through the outbound policy, and the
 * channel is opened to the address that passed, so DNS cannot slip past the policy.
 */
import type * as Grpc from '@grpc/grpc-js';
import type { Client, Metadata, ServiceError } from '@grpc/grpc-js';
import type { BranchOp, Clock, Outcome, TransactionRecord } from '@accord/core';
import { CHECK_BRANCH_ID } from '@accord/core';
import { branchCallHeaders } from '@accord/protocol';
import type { BranchCall } from '../engine/branch-call.js';
import { DTM_CHECK } from './dtm-convention.js';
import { parseGrpcTarget, type GrpcTarget } from './grpc-target.js';
import type { TargetPolicy } from './target-policy.js';
import { callTrace } from './call-trace.js';

type GrpcJs = typeof Grpc;

/** Settings of the outbound gRPC client. */
export interface GrpcBranchCallerOptions {
  readonly policy: TargetPolicy;
  readonly clock: Clock;
  readonly signingSecret: string | null;
  /** This coordinator's gRPC address, sent to DTM participants as `dtm-dtm` ('' if none). */
  readonly dtmAddress?: () => string;
  /** Most channels kept open; the oldest is closed past it. */
  readonly maxChannels?: number;
}

const MESSAGE_LIMIT = 300;
/** gRPC status codes with a meaning in the branch protocol. */
const OK = 0;
const FAILED_PRECONDITION = 9;
const ABORTED = 10;
const METADATA_KEY = /^[0-9a-z_.-]+$/;
const METADATA_VALUE = /^[\x20-\x7e]*$/;

/** The gRPC implementation of {@link BranchCall}. */
export class GrpcBranchCaller implements BranchCall {
  private grpc: Promise<GrpcJs> | undefined;
  private readonly channels = new Map<string, Client>();

  constructor(private readonly options: GrpcBranchCallerOptions) {}

  private library(): Promise<GrpcJs> {
    this.grpc ??= import('@grpc/grpc-js');
    return this.grpc;
  }

  async call(
    tx: TransactionRecord,
    op: BranchOp,
    signal?: AbortSignal,
    traceparent?: string,
  ): Promise<Outcome> {
    const target = parseGrpcTarget(op.url);
    if (typeof target === 'string') return unknown(`target ${op.url} ${target}`);
    const timeout = tx.options.requestTimeoutMs;
    try {
      const grpc = await this.library();
      const client = await this.channel(grpc, target);
      const body =
        tx.options.payloadEncoding === 'base64'
          ? Buffer.from(op.payload, 'base64')
          : Buffer.from(op.payload, 'utf8');
      const metadata = this.metadata(grpc, tx, op, traceparent);
      const error = await unary(client, target.method, body, metadata, timeout, signal);
      if (signal?.aborted) return unknown('abandoned: the lease was lost or about to run out');
      return classify(error);
    } catch (error) {
      if (signal?.aborted) return unknown('abandoned: the lease was lost or about to run out');
      return unknown(error instanceof Error ? error.message : String(error));
    }
  }

  /** The call's metadata: Accord's headers, and DTM's `dtm-*` keys for DTM transactions. */
  private metadata(
    grpc: GrpcJs,
    tx: TransactionRecord,
    op: BranchOp,
    traceparent: string | undefined,
  ): Metadata {
    const headers = branchCallHeaders(
      { gid: tx.gid, branchId: op.branchId, op: op.op, mode: tx.mode },
      op.payload, // a binary payload is signed as its base64 text
      {
        extra: tx.options.headers,
        signingSecret: this.options.signingSecret,
        now: this.options.clock.now(),
        trace: callTrace(tx, traceparent),
      },
    );
    const entries: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) entries[name.toLowerCase()] = value;
    if (tx.options.dialect === 'dtm') {
      const check = op.branchId === CHECK_BRANCH_ID && op.op === 'check';
      entries['dtm-gid'] = tx.gid;
      entries['dtm-trans_type'] = tx.mode;
      entries['dtm-branch_id'] = check ? DTM_CHECK.branchId : op.branchId;
      entries['dtm-op'] = check ? DTM_CHECK.op : op.op;
      entries['dtm-dtm'] = this.options.dtmAddress?.() ?? '';
    }
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(entries)) {
      // Header names and values HTTP allows but gRPC metadata does not are left out.
      if (METADATA_KEY.test(key) && !key.endsWith('-bin') && METADATA_VALUE.test(value)) {
        metadata.set(key, value);
      }
    }
    return metadata;
  }

  /** The pooled channel to the target's address, opened after the policy admits it. */
  private async channel(grpc: GrpcJs, target: GrpcTarget): Promise<Client> {
    const address = await this.resolve(target.host);
    const bracketed = address.includes(':') ? `[${address}]` : address;
    const key = `${target.tls ? 's' : ''}|${bracketed}:${target.port}|${target.authority}`;
    let client = this.channels.get(key);
    if (client === undefined) {
      const credentials = target.tls
        ? grpc.credentials.createSsl()
        : grpc.credentials.createInsecure();
      client = new grpc.Client(`${bracketed}:${target.port}`, credentials, {
        'grpc.default_authority': target.authority,
        ...(target.tls ? { 'grpc.ssl_target_name_override': target.host } : {}),
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        'grpc.max_receive_message_length': 4 * 1_048_576,
      });
      this.channels.set(key, client);
      if (this.channels.size > (this.options.maxChannels ?? 1_024)) {
        const [oldest] = this.channels;
        this.channels.delete(oldest![0]);
        oldest![1].close();
      }
    }
    return client;
  }

  /** An address of the host the outbound policy admits. */
  private resolve(host: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.options.policy.lookup(host, {}, (error, address) => {
        if (error) reject(error);
        else resolve(typeof address === 'string' ? address : address[0]!.address);
      });
    });
  }

  async close(): Promise<void> {
    for (const client of this.channels.values()) client.close();
    this.channels.clear();
  }
}

/** One unary call; resolves with its error, or null on OK. */
function unary(
  client: Client,
  method: string,
  body: Buffer,
  metadata: Metadata,
  timeout: number,
  signal?: AbortSignal,
): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    const identity = (value: Buffer) => value;
    const call = client.makeUnaryRequest(
      method,
      identity,
      identity,
      body,
      metadata,
      { deadline: Date.now() + timeout },
      (error) => {
        signal?.removeEventListener('abort', cancel);
        resolve(error ?? null);
      },
    );
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    if (signal?.aborted) cancel();
  });
}

/** Classifies a call's status. */
function classify(error: ServiceError | null): Outcome {
  const code: number | undefined = error?.code;
  if (error === null || code === OK) return { kind: 'success', httpStatus: null, message: null };
  const message = `gRPC ${error.code} ${error.details || error.message}`.slice(0, MESSAGE_LIMIT);
  if (code === ABORTED) return { kind: 'failure', httpStatus: null, message };
  if (code === FAILED_PRECONDITION) return { kind: 'ongoing', httpStatus: null, message };
  return unknown(message);
}

function unknown(message: string): Outcome {
  return { kind: 'error', httpStatus: null, message: message.slice(0, MESSAGE_LIMIT) };
}
