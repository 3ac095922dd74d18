/**
 * Context of the README's outbox block: a user service's pool and client (with a `users`
 * table), a RabbitMQ connection whose `events` exchange gets a private queue for
 * `user.created`, and a consumer's open transaction with the message it handles. Checks
 * that the relay published the new user's message and that the consumer applied its
 * message exactly once.
 */
import amqp from 'amqplib';
import { afterBlock, onCleanup } from '../prelude-hooks.js';
import { eventually, schemaPool } from '../prelude-common.js';
import { docsSetting } from '../prelude-env.js';
import { pgInbox } from '../sdk.js';

export { pgInbox, pgOutbox, rabbitPublisher } from '../sdk.js';

/** The user service's database. */
export const pool = schemaPool();
await pool.query('CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY, email text NOT NULL)');
/** One pooled client of the user service. */
export const client = await pool.connect();
onCleanup(() => client.release());
/** The new user. */
export const id = `u-${Date.now().toString(36)}`;
/** The new user's address. */
export const email = `${id}@example.com`;

/** The broker connection the relay publishes through. */
export const amqpConnection = await amqp.connect(docsSetting('rabbitmqUrl'));
onCleanup(() => amqpConnection.close());
const probe = await amqpConnection.createChannel();
probe.on('error', () => undefined);
const exchangeExists = await probe.checkExchange('events').then(
  () => true,
  () => false,
);
const watch = await amqpConnection.createChannel();
// Created here only if missing, and then deleted with the private queue's binding.
if (!exchangeExists)
  await watch.assertExchange('events', 'topic', { durable: false, autoDelete: true });
const { queue } = await watch.assertQueue('', { exclusive: true, autoDelete: true });
await watch.bindQueue(queue, 'events', 'user.created');

/** The consumer's transaction, open (BEGIN). */
export const tx = await pool.connect();
onCleanup(() => tx.release());
await tx.query('BEGIN');
/** The message the consumer handles, as amqplib delivers it. */
export const message = { properties: { messageId: `docs-message-${id}` } };
/** The user the bonus is for. */
export const userId = id;
const grants: string[] = [];
/** The consumer's business change. */
export function grantBonus(_tx: unknown, user: string): Promise<void> {
  grants.push(user);
  return Promise.resolve();
}

async function published(): Promise<boolean> {
  const got = await watch.get(queue, { noAck: true });
  if (!got) return false;
  const payload = JSON.parse(got.content.toString('utf8')) as { userId?: string };
  return payload.userId === id;
}

afterBlock(async () => {
  await tx.query('COMMIT');
  const { rows } = await pool.query('SELECT email FROM users WHERE id = $1', [id]);
  if (rows.length !== 1) throw new Error('the user row was not committed');
  await eventually(published, 'the relay published user.created for the new user');
  const again = await pgInbox({ consumer: 'points' }).consume(
    pool,
    message.properties.messageId,
    () => {
      throw new Error('the inbox applied a duplicate');
    },
  );
  if (again.applied || grants.length !== 1) throw new Error(`grants: ${grants.join(', ')}`);
});
