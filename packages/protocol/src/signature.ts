/**
 * Branch-call signatures: `Accord-Signature: t=<unix ms>,v2=<hex HMAC-SHA256(secret,
 * "<t>\n<gid>\n<branchId>\n<op>\n<body>")>`. The coordinator signs every call it makes
 * when a secret is configured; the client's own tcc `try` and xa local-work calls are not
 * signed. Binding the call's identity (from the `Accord-Gid`, `Accord-Branch` and
 * `Accord-Op` headers) keeps a captured call from being replayed as another op or branch.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AccordError } from '@accord/core';

/** Default accepted distance between the signature's time and now: 5 minutes. */
export const SIGNATURE_TOLERANCE_MS = 300_000;

/** Why a signature was rejected (`details.reason` of the `SIGNATURE_INVALID` error). */
export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

/** Options of {@link verifySignature}. */
export interface VerifyOptions {
  /** Largest accepted |now - t|, ms (default 300000). */
  toleranceMs?: number;
  /** The current time, ms since the epoch (default `Date.now()`). */
  now?: number;
}

/** The call a signature is bound to: the `Accord-Gid`, `Accord-Branch` and `Accord-Op` headers. */
export interface SignedCall {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
}

function digest(secret: string, t: string, call: SignedCall, body: string | Uint8Array): Buffer {
  if (secret.length === 0) throw new TypeError('signing secret must not be empty');
  return createHmac('sha256', secret)
    .update(`${t}\n${call.gid}\n${call.branchId}\n${call.op}\n`)
    .update(body)
    .digest();
}

/**
 * The `Accord-Signature` header value for one call's `body` at time `now`.
 *
 * @example
 * const header = signPayload('s3cret', { gid: 'g1', branchId: '01', op: 'action' }, '{"amount":5}');
 * // 't=1735689600000,v2=9f2c…'
 */
export function signPayload(
  secret: string,
  call: SignedCall,
  body: string | Uint8Array,
  now = Date.now(),
): string {
  const t = String(Math.trunc(now));
  return `t=${t},v2=${digest(secret, t, call, body).toString('hex')}`;
}

function reject(problem: SignatureProblem, message: string): never {
  throw new AccordError('SIGNATURE_INVALID', `Accord-Signature ${message}`, { reason: problem });
}

/**
 * Checks an `Accord-Signature` header against the call it arrived with (gid, branch and
 * op from its headers) and the exact body bytes received. Returns nothing when valid;
 * otherwise throws `AccordError('SIGNATURE_INVALID')` with `details.reason` one of
 * {@link SignatureProblem}. Several secrets may be given (key rotation); several `v2=`
 * entries are accepted too. The participant helpers do this for you.
 *
 * @example
 * verifySignature(secret, req.headers['accord-signature'], readAccordContext(req.headers), rawBody);
 */
export function verifySignature(
  secret: string | readonly string[],
  header: string | null | undefined,
  call: SignedCall,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): void {
  const { toleranceMs = SIGNATURE_TOLERANCE_MS, now = Date.now() } = options;
  if (header === undefined || header === null || header.trim() === '') {
    reject('missing', 'is missing');
  }
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) reject('malformed', 'is malformed');
    if (key === 't') t = value;
    else if (key === 'v2' && /^[0-9a-f]{64}$/i.test(value))
      candidates.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || !/^\d{1,16}$/.test(t) || candidates.length === 0) {
    reject('malformed', 'is malformed: expected t=<unix ms>,v2=<hex sha256>');
  }
  if (Math.abs(now - Number(t)) > toleranceMs) {
    reject('stale', `is stale: signed at ${t}, now ${now}, tolerance ${toleranceMs} ms`);
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  for (const s of secrets) {
    const expected = digest(s, t, call, body);
    if (candidates.some((c) => timingSafeEqual(c, expected))) return;
  }
  reject('mismatch', 'does not match this call (gid, branch, op) and body');
}
