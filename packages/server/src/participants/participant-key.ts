/**
 * Which participant a branch call goes to: the lower-case `host:port` of its target,
 * with the scheme's default port when the URL names none. Pure.
 */

const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  'http:': '80',
  'https:': '443',
  'grpcs:': '443',
};

/**
 * The participant of a target URL (`http(s)://`, `grpc(s)://`), or null for a target
 * that names no host and port (a `broker://` target, a malformed URL).
 *
 * @example
 * participantOf('http://Orders.internal/pay'); // 'orders.internal:80'
 * participantOf('grpc://[::1]:9090/bank.Bank/Pay'); // '[::1]:9090'
 */
export function participantOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  if (port === undefined || parsed.hostname === '') return null;
  return `${parsed.hostname.toLowerCase()}:${port}`;
}

/**
 * `host:port` as people write it, IPv6 in brackets: the schemas' `PARTICIPANT_PATTERN`
 * (a test keeps them equal), written here too so settings load without the schemas.
 */
export const PARTICIPANT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}$/;

/** The participant key of `host:port` as a person wrote it, or null when it is not one. */
export function normalParticipant(text: string): string | null {
  if (!PARTICIPANT.test(text)) return null;
  const port = Number(text.slice(text.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65_535 ? text.toLowerCase() : null;
}
