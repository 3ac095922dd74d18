/**
 * An airline: `POST /flights/<flight>/reservations` holds a free seat for a while and
 * answers the participant link (`201 {uri, expires}`), or `409` when the flight is full.
 * The link `/reservations/<id>` is confirmed with `PUT` and cancelled with `DELETE` by
 * the coordinator; an unconfirmed reservation cancels itself when it expires.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Reservations, tccRestHandler } from '@accord/client/tcc-rest';
import type { SeatHold } from './seat-store.js';
import { SeatStore } from './seat-store.js';

/** A running airline. */
export interface AirlineService {
  readonly name: string;
  readonly url: string;
  readonly seats: SeatStore;
  /**
   * Fault injection: until this time (ms), confirms answer 503, as an airline whose
   * booking system is down would.
   */
  failConfirmsUntil: number;
  close(): Promise<void>;
}

/** Starts an airline with its own SQLite file in `dir` and the given flights. */
export async function startAirline(
  name: string,
  dir: string,
  flights: Readonly<Record<string, number>>,
): Promise<AirlineService> {
  const seats = new SeatStore(join(dir, `${name}.sqlite`));
  for (const [flight, count] of Object.entries(flights)) seats.addFlight(flight, count);
  const reservations = new Reservations<SeatHold>({ store: seats });
  const stopSweeping = reservations.startSweeping(200);
  const links = tccRestHandler(reservations, '/reservations');
  let url = '';
  const service: AirlineService = {
    name,
    seats,
    failConfirmsUntil: 0,
    get url() {
      return url;
    },
    close: async () => {
      stopSweeping();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      seats.close();
    },
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const hold = /^\/flights\/([\w-]+)\/reservations$/.exec(req.url ?? '');
      if (req.method === 'POST' && hold) {
        const body = await readJson(req);
        const flight = hold[1]!;
        const seat = seats.freeSeat(flight);
        if (seat === null) {
          res.writeHead(409, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `flight ${flight} has no free seat` }));
          return;
        }
        const ttlMs = typeof body['ttlMs'] === 'number' ? body['ttlMs'] : 30_000;
        const r = await reservations.reserve({ flight, seat }, ttlMs);
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            uri: `${url}/reservations/${r.id}`,
            expires: new Date(r.expires).toISOString(),
            seat,
          }),
        );
        return;
      }
      if (req.method === 'PUT' && Date.now() < service.failConfirmsUntil) {
        req.resume();
        res.writeHead(503).end();
        return;
      }
      if (!(await links(req, res))) res.writeHead(404).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return service;
}

async function readJson(req: NodeJS.ReadableStream): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (text === '') return {};
  return JSON.parse(text) as Record<string, unknown>;
}
