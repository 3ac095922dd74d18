/**
 * @accord/protocol: Accord's wire protocol for Node, shared by the coordinator and the
 * SDK so both sides speak it from one definition: the header names, the `Accord-Signature`
 * scheme (sign and verify), the W3C trace context of a branch call, and the headers of a
 * call as a whole. Broker publishing (RabbitMQ, NATS JetStream) is under
 * `@accord/protocol/brokers`.
 *
 * @example
 * import { branchCallHeaders, verifySignature } from '@accord/protocol';
 */
export { ACCORD_HEADERS } from '@accord/core';
export {
  signPayload,
  verifySignature,
  SIGNATURE_TOLERANCE_MS,
  type ReplayCheck,
  type SignatureProblem,
  type SignedCall,
  type VerifyOptions,
} from './signature.js';
export { redactUrl, redactUrlsIn, type RedactUrlOptions } from './redact-url.js';
export { ReplayGuard, type ReplayGuardOptions } from './replay-guard.js';
export {
  childTraceparent,
  formatTraceparent,
  gidTraceParent,
  incomingTrace,
  newSpanId,
  parseTraceparent,
  traceparentFor,
  type IncomingTrace,
  type TraceParent,
} from './trace-context.js';
export {
  branchCallHeaders,
  type BranchCallHeadersOptions,
  type BranchCallIdentity,
} from './call-headers.js';
