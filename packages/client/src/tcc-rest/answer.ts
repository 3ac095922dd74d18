/**
 * What a participant link answers, whatever the framework: `PUT` confirms, `DELETE`
 * cancels, `GET` shows the reservation (404 once gone), anything else 405. Every adapter
 * (node:http and Express, Fastify, Hono) writes this answer out.
 */
import type { Reservations } from './reservations.js';

/** An answer to write out: status, headers, and a body for `GET`. */
export interface TccRestAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The methods a link answers. */
export const TCC_LINK_METHODS = ['GET', 'PUT', 'DELETE'] as const;

/**
 * Confirms, cancels or shows the reservation `id` as `method` asks.
 *
 * @example
 * const { status } = await tccRestAnswer(seats, 'PUT', id); // 204, or 404 once expired
 */
export async function tccRestAnswer<T>(
  reservations: Reservations<T>,
  method: string,
  id: string,
): Promise<TccRestAnswer> {
  if (method === 'PUT') return { status: await reservations.confirm(id), headers: {} };
  if (method === 'DELETE') return { status: await reservations.cancel(id), headers: {} };
  if (method !== 'GET') return { status: 405, headers: { allow: TCC_LINK_METHODS.join(', ') } };
  const found = await reservations.store.get(id);
  if (found === undefined || found.state === 'cancelled') return { status: 404, headers: {} };
  const body = JSON.stringify({ ...found, expires: new Date(found.expires).toISOString() });
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}
