/**
 * The TCC-for-REST calling convention (Pardon & Pautasso; Atomikos): a participant is a
 * link with an expiry, confirmed with `PUT <uri>` and cancelled with `DELETE <uri>`, both
 * `application/tcc`. 2xx is done; 404 means the reservation is gone (expired or
 * cancelled); anything else is retried until the link's expiry has passed, after which
 * the participant has cancelled by itself.
 */
import type { BranchOp, Outcome } from '@accord/core';

/** A participant link as a tcc-rest op stores it: its payload is the link, never sent. */
export interface ParticipantLink {
  readonly uri: string;
  /** Expiry, ms since the epoch. */
  readonly expires: number;
}

/** The media type of calls to participants. */
export const TCC_MEDIA_TYPE = 'application/tcc';

/** The payload a tcc-rest op stores for a link. */
export function linkPayload(link: ParticipantLink): string {
  return JSON.stringify({ uri: link.uri, expires: new Date(link.expires).toISOString() });
}

/** The expiry stored with an op (ms), or null when its payload holds none. */
export function linkExpiry(op: BranchOp): number | null {
  try {
    const { expires } = JSON.parse(op.payload) as { expires?: unknown };
    const ms = typeof expires === 'string' ? Date.parse(expires) : Number.NaN;
    return Number.isNaN(ms) ? null : ms;
  } catch {
    return null;
  }
}

/** Method and headers of a call: confirm is `PUT`, cancel `DELETE`; no body either way. */
export function tccRestRequest(op: BranchOp): {
  method: 'PUT' | 'DELETE';
  headers: Record<string, string>;
} {
  return {
    method: op.op === 'cancel' ? 'DELETE' : 'PUT',
    headers: { accept: TCC_MEDIA_TYPE, 'content-type': TCC_MEDIA_TYPE },
  };
}

/**
 * Classifies a reply (status null: no reply) by the convention, at `now`. A confirm
 * answered 404 is a refusal the machine reads as "gone"; a cancel answered 404 is done.
 * Past the link's expiry, a participant that still does not answer has cancelled by
 * itself: a confirm ends as timed out, a cancel as done.
 */
export function classifyTccRest(
  op: BranchOp,
  status: number | null,
  message: string | null,
  now: number,
): Outcome {
  const cancel = op.op === 'cancel';
  if (status !== null && status >= 200 && status < 300) {
    return { kind: 'success', httpStatus: status, message: null };
  }
  if (status === 404) {
    return cancel
      ? { kind: 'success', httpStatus: status, message: 'already gone' }
      : { kind: 'failure', httpStatus: status, message: message ?? 'gone: expired or cancelled' };
  }
  const expiry = linkExpiry(op);
  if (expiry !== null && now > expiry) {
    const ended = `no answer before the link expired at ${new Date(expiry).toISOString()}`;
    const last = message === null ? '' : ` (last: ${message})`;
    return cancel
      ? { kind: 'success', httpStatus: status, message: `${ended}: cancelled by itself${last}` }
      : { kind: 'failure', httpStatus: status, message: `timed out: ${ended}${last}` };
  }
  return { kind: 'error', httpStatus: status, message };
}
