/**
 * A node:http handler for TCC-for-REST participant links `<prefix>/<id>`: `PUT` confirms,
 * `DELETE` cancels, `GET` shows the reservation (404 once gone).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tccRestAnswer } from './answer.js';
import type { Reservations } from './reservations.js';

/** The media type of coordinator calls. */
export const TCC_MEDIA_TYPE = 'application/tcc';

/**
 * Answers requests under `prefix` and returns true, or returns false for other paths so
 * the caller can route them elsewhere.
 *
 * @example
 * const handle = tccRestHandler(seats, '/reservations');
 * createServer((req, res) => void handle(req, res).then((done) => done || res.writeHead(404).end()));
 */
export function tccRestHandler<T>(
  reservations: Reservations<T>,
  prefix: string,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const base = prefix.replace(/\/+$/, '');
  return async (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!path.startsWith(`${base}/`)) return false;
    const id = decodeURIComponent(path.slice(base.length + 1));
    req.resume();
    const answer = await tccRestAnswer(reservations, req.method ?? '', id);
    res.writeHead(answer.status, answer.headers).end(answer.body);
    return true;
  };
}
