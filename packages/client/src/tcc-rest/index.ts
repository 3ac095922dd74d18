/**
 * `@accord/client/tcc-rest`: the participant side of TCC for REST. Reservations with an
 * expiry that cancel themselves, a store interface to keep them in a service's own
 * database, and handlers answering the coordinator's `PUT` and `DELETE` for node:http,
 * Express, Fastify and Hono.
 *
 * @example
 * import { Reservations, tccRestHandler } from '@accord/client/tcc-rest';
 * const seats = new Reservations<{ seat: string }>();
 * const handle = tccRestHandler(seats, '/reservations');
 */
export {
  MemoryReservationStore,
  type Reservation,
  type ReservationState,
  type ReservationStore,
} from './reservation-store.js';
export { Reservations, type ReservationsOptions, type TccAnswer } from './reservations.js';
export { tccRestHandler, TCC_MEDIA_TYPE } from './node-handler.js';
export { tccRestAnswer, TCC_LINK_METHODS, type TccRestAnswer } from './answer.js';
export {
  tccRestExpressHandler,
  tccRestFastifyHandler,
  tccRestFastifyParser,
  tccRestHonoHandler,
  type ExpressTccRequestLike,
  type ExpressTccResponseLike,
  type FastifyTccParserHost,
  type FastifyTccReplyLike,
  type FastifyTccRequestLike,
  type HonoTccContextLike,
} from './framework-handlers.js';
