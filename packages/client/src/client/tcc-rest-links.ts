/**
 * The client side of TCC for REST: hand the coordinator a set of participant links to
 * confirm (`PUT /tcc/coordinator/confirm`) or cancel (`PUT /tcc/coordinator/cancel`).
 */
import { errorFromAnswer, networkError, parseJson } from './errors-from-http.js';
import type { HttpTransport } from './http-transport.js';

/** A participant link as a participant handed it out: where it lives, and until when. */
export interface ParticipantLinkInput {
  readonly uri: string;
  /** ISO date-time, or a `Date`. */
  readonly expires: string | Date;
}

/** What became of one link, as the coordinator reports it with a 409 (or 404). */
export interface ParticipantLinkOutcome {
  readonly uri: string;
  readonly expires: string;
  readonly outcome: 'confirmed' | 'cancelled' | 'timed-out' | 'pending';
}

/**
 * The coordinator's answer. confirm: 204 every link confirmed, 404 every link cancelled
 * or timed out, 409 a heuristic outcome (some confirmed, some not). cancel: 204, or 409
 * when some link had already been confirmed.
 */
export interface TccRestAnswer {
  readonly status: 204 | 404 | 409;
  /** Each link's outcome; empty with a 204. */
  readonly participantLinks: readonly ParticipantLinkOutcome[];
}

/** What a links call needs of the client. */
export interface LinksCallDeps {
  readonly http: HttpTransport;
  readonly base: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

/** Sends the links to the coordinator; other answers than 204/404/409 throw. */
export async function sendLinks(
  deps: LinksCallDeps,
  action: 'confirm' | 'cancel',
  links: readonly ParticipantLinkInput[],
): Promise<TccRestAnswer> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/tcc+json',
  };
  if (deps.token !== undefined) headers['authorization'] = `Bearer ${deps.token}`;
  const participantLinks = links.map((l) => ({
    uri: l.uri,
    expires: l.expires instanceof Date ? l.expires.toISOString() : l.expires,
  }));
  const path = `/tcc/coordinator/${action}`;
  let answer;
  try {
    answer = await deps.http.send({
      method: 'PUT',
      url: deps.base + path,
      headers,
      body: JSON.stringify({ participantLinks }),
      timeoutMs: deps.timeoutMs,
    });
  } catch (error) {
    throw networkError(`PUT ${path}`, error);
  }
  const { status } = answer;
  if (status !== 204 && status !== 404 && status !== 409) {
    throw errorFromAnswer(status, answer.text);
  }
  const json = answer.text === '' ? undefined : parseJson(answer.text);
  const reported = (json as { participantLinks?: ParticipantLinkOutcome[] } | undefined)
    ?.participantLinks;
  return { status, participantLinks: reported ?? [] };
}
