/**
 * Call signatures: `Accord-Signature: t=<unix ms>,n=<nonce>,v3=<hex HMAC-SHA256(secret,
 * "<t>\n<n>\n<gid>\n<branchId>\n<op>\n<mode>\n<body>")>`. The coordinator signs every call
 * it makes when a secret is configured, and the SDK client signs its own tcc `try` and xa
 * local-work calls with the same secret. Binding the call's identity (the `Accord-Gid`,
 * `Accord-Branch`, `Accord-Op` and `Accord-Mode` headers) keeps a captured call from being
 * replayed as another op, branch, transaction or mode; the time bounds how long it is
 * valid, and a `ReplayGuard` refuses it a second time within that window.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AccordError } from '@accord/core';

/** Default accepted distance between the signature's time and now: 5 minutes. */
export const SIGNATURE_TOLERANCE_MS = 300_000;

/** Why a signature was rejected (`details.reason` of the `SIGNATURE_INVALID` error). */
export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'replayed';

/** Options of {@link verifySignature}. */
export interface VerifyOptions {
  /** Largest accepted |now - t|, ms (default 300000). */
  toleranceMs?: number;
  /** The current time, ms since the epoch (default `Date.now()`). */
  now?: number;
  /**
   * Refuses a signature it has already admitted: a `ReplayGuard` (the participant helpers
   * keep one each).
   */
  replay?: ReplayCheck;
}

/** What {@link verifySignature} asks of a replay memory (`ReplayGuard` implements it). */
export interface ReplayCheck {
  /** Records a valid signature; false when it was already admitted. */
  admit(mac: string, signedAt: number, now: number): boolean;
}

/**
 * The call a signature is bound to: the `Accord-Gid`, `Accord-Branch`, `Accord-Op` and
 * `Accord-Mode` headers.
 */
export interface SignedCall {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
  readonly mode: string;
}

const NONCE = /^[A-Za-z0-9_-]{8,64}$/;
const MAC = /^[0-9a-f]{64}$/i;

function digest(
  secret: string,
  t: string,
  n: string,
  call: SignedCall,
  body: string | Uint8Array,
): Buffer {
  if (secret.length === 0) throw new TypeError('signing secret must not be empty');
  return createHmac('sha256', secret)
    .update(`${t}\n${n}\n${call.gid}\n${call.branchId}\n${call.op}\n${call.mode}\n`)
    .update(body)
    .digest();
}

/**
 * The `Accord-Signature` header value for one call's `body` (the exact bytes sent, `''`
 * for none) at time `now`, with a fresh random nonce unless one is given.
 *
 * @example
 * const header = signPayload('s3cret', { gid: 'g1', branchId: '01', op: 'try', mode: 'tcc' }, '{"amount":5}');
 * // 't=1735689600000,n=4f1c9a0b7d2e6c31,v3=9f2c…'
 */
export function signPayload(
  secret: string,
  call: SignedCall,
  body: string | Uint8Array,
  now = Date.now(),
  nonce = randomBytes(8).toString('hex'),
): string {
  if (!NONCE.test(nonce)) throw new TypeError('nonce must be 8 to 64 of [A-Za-z0-9_-]');
  const t = String(Math.trunc(now));
  return `t=${t},n=${nonce},v3=${digest(secret, t, nonce, call, body).toString('hex')}`;
}

function reject(problem: SignatureProblem, message: string): never {
  throw new AccordError('SIGNATURE_INVALID', `Accord-Signature ${message}`, { reason: problem });
}

/**
 * Checks an `Accord-Signature` header against the call it arrived with (gid, branch, op
 * and mode from its headers) and the exact body bytes received. Returns nothing when
 * valid; otherwise throws `AccordError('SIGNATURE_INVALID')` with `details.reason` one of
 * {@link SignatureProblem}. Several secrets may be given (key rotation); several `v3=`
 * entries are accepted too. With `replay`, a signature already admitted is refused
 * (`replayed`). The participant helpers do all this for you.
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
  let n: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) reject('malformed', 'is malformed');
    if (key === 't') t = value;
    else if (key === 'n') n = value;
    else if (key === 'v3' && MAC.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (
    t === undefined ||
    !/^\d{1,16}$/.test(t) ||
    n === undefined ||
    !NONCE.test(n) ||
    candidates.length === 0
  ) {
    reject('malformed', 'is malformed: expected t=<unix ms>,n=<nonce>,v3=<hex sha256>');
  }
  const signedAt = Number(t);
  if (Math.abs(now - signedAt) > toleranceMs) {
    reject('stale', `is stale: signed at ${t}, now ${now}, tolerance ${toleranceMs} ms`);
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  for (const s of secrets) {
    const expected = digest(s, t, n, call, body);
    if (!candidates.some((c) => timingSafeEqual(c, expected))) continue;
    if (options.replay && !options.replay.admit(expected.toString('hex'), signedAt, now)) {
      reject('replayed', 'was already used: a replayed call is refused');
    }
    return;
  }
  reject('mismatch', 'does not match this call (gid, branch, op, mode) and body');
}
