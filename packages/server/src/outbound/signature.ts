import { createHmac } from 'node:crypto';

/**
 * The `Accord-Signature` header for a branch call: `t=<unix ms>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`. Participants recompute it with the shared secret.
 */
export function signatureHeader(secret: string, body: string, now: number): string {
  const mac = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
  return `t=${now},v1=${mac}`;
}
