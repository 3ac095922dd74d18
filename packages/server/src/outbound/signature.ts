import { createHmac } from 'node:crypto';

/** What a signature binds besides the time and the body: which call this is. */
export interface SignedCall {
  readonly gid: string;
  readonly branchId: string;
  readonly op: string;
}

/**
 * The `Accord-Signature` header: `t=<unix ms>,v2=<hex HMAC-SHA256 of
 * "<t>\n<gid>\n<branchId>\n<op>\n<body>">`. Binding the call's identity keeps a captured
 * call from being replayed as another op or branch (a commit as a rollback, say).
 * Participants recompute it with the shared secret (the SDK's `verifySignature`).
 */
export function signatureHeader(
  secret: string,
  call: SignedCall,
  body: string,
  now: number,
): string {
  const mac = createHmac('sha256', secret)
    .update(`${now}\n${call.gid}\n${call.branchId}\n${call.op}\n`)
    .update(body)
    .digest('hex');
  return `t=${now},v2=${mac}`;
}
