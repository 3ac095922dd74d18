/**
 * The W3C `traceparent` of a branch call, derived from the gid, so every call of one
 * transaction (the client's tcc `try`, the coordinator's confirm/cancel) shares a trace.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * `00-<first 32 hex of sha256(gid)>-<random span id>-01`.
 *
 * @example
 * traceparentFor('order-42'); // '00-5f1c…(32 hex)-9a0b…(16 hex)-01'
 */
export function traceparentFor(gid: string): string {
  const traceId = createHash('sha256').update(gid).digest('hex').slice(0, 32);
  return `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
}
