/**
 * Serialising a {@link Reply} once, for every adapter.
 */
import { TextReply, type Reply } from './reply.js';

/** A reply as status, headers and body text (empty: no body). */
export interface SerialisedReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

/**
 * JSON-encodes the body. A result that cannot be encoded (a BigInt, a cycle) becomes a 500.
 *
 * @example
 * serialiseReply({ status: 200, body: { ok: true } }).text; // '{"ok":true}'
 */
export function serialiseReply(reply: Reply): SerialisedReply {
  if (reply.body === undefined) return { status: reply.status, headers: {}, text: '' };
  if (reply.body instanceof TextReply) {
    return {
      status: reply.status,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      text: reply.body.text,
    };
  }
  let text: string;
  let status = reply.status;
  try {
    text = JSON.stringify(reply.body);
  } catch (error) {
    status = 500;
    const message = `result is not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`;
    text = JSON.stringify({ error: { code: 'INTERNAL', message } });
  }
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, text };
}
