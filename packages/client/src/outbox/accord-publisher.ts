/**
 * Publishes outbox messages to the Accord coordinator as two-phase messages (msg), so the
 * coordinator delivers their steps with its own retries, parking and dashboard.
 */
import type { CoordinatorApi } from '../client/coordinator-api.js';
import type { MsgStep } from '../client/msg.js';
import type { CreateTransactionRequest, TransactionOptionsInput } from '../client/wire-types.js';
import { PublishError } from './publish-error.js';
import type { OutboxMessage, OutboxPublisher } from './types.js';

/** Options of {@link accordPublisher}. */
export interface AccordPublisherOptions {
  /**
   * The delivery steps of a message. Must be a pure function of the message: a republish
   * sends the same create again, which the coordinator accepts only with the same body.
   */
  steps: (message: OutboxMessage) => MsgStep[];
  /**
   * The producer's check-back URL, answered from the outbox table: serve it with
   * `checkBackHandler((gid) => outbox.checkPrepared(pool, gid))`. See
   * {@link accordPublisher} for when the coordinator calls it.
   */
  checkUrl: string | ((message: OutboxMessage) => string);
  /** Options of each transaction (timeout, retry budget, headers), fixed or per message. */
  options?: TransactionOptionsInput | ((message: OutboxMessage) => TransactionOptionsInput);
}

/**
 * A publisher that hands each message to the coordinator as a msg transaction whose gid
 * is the outbox id, created and submitted at once. The message is published once the
 * coordinator has taken the submit; from there it delivers every step until it succeeds
 * (and parks it for an operator if it never does), just as for any msg.
 *
 * Why msg, and not a saga: a saga step that answers 409 aborts the saga, while a msg
 * delivery must succeed and is retried: the outbox's promise. Why it is safe to repeat:
 * the create carries the same gid and body each time, which the coordinator answers
 * idempotently, and submitting a submitted or finished msg is a no-op; so a relay that
 * dies between create and submit, or before marking the row sent, just causes the next
 * relay to do both again.
 *
 * The `checkUrl` the coordinator requires for msg: it is asked only if a message stays
 * prepared past its timeout, i.e. a relay created it and nobody submitted it since. Its
 * question, "did the local transaction commit?", the outbox table answers: the row exists
 * only if the producer's transaction committed, and the relay creates the msg only from a
 * committed row. So `outbox.checkPrepared` serves as the barrier, and no barrier row is
 * needed in the producer's transaction.
 *
 * @example
 * const accord = new AccordClient({ url: 'http://127.0.0.1:8080' });
 * const publisher = accordPublisher(accord, {
 *   steps: (m) => [{ action: 'http://points/grant', payload: m.payload }],
 *   checkUrl: 'http://signup:3000/accord/outbox-check',
 * });
 * app.post('/accord/outbox-check', accordHandler(checkBackHandler((gid) => outbox.checkPrepared(pool, gid))));
 */
export function accordPublisher(
  client: Pick<CoordinatorApi, 'create' | 'submit'>,
  options: AccordPublisherOptions,
): OutboxPublisher {
  return {
    async publish(message) {
      const body: CreateTransactionRequest = {
        gid: message.id,
        mode: 'msg',
        steps: options.steps(message).map((step) => ({ ...step })),
        checkUrl:
          typeof options.checkUrl === 'function' ? options.checkUrl(message) : options.checkUrl,
      };
      const txOptions =
        typeof options.options === 'function' ? options.options(message) : options.options;
      if (txOptions !== undefined) body.options = txOptions;
      let tx = await client.create(body);
      if (tx.status === 'prepared') tx = await client.submit(message.id);
      if (tx.status !== 'submitted' && tx.status !== 'succeeded') {
        throw new PublishError(
          'PUBLISH_CONFLICT',
          `transaction ${message.id} is ${tx.status}${tx.reason ? ` (${tx.reason})` : ''}: it will not deliver this message`,
          { details: { gid: message.id, status: tx.status } },
        );
      }
    },
  };
}
