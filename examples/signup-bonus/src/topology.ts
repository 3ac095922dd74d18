/**
 * The RabbitMQ side of the example: a topic exchange the relay publishes `user.created`
 * to, the points service's durable queue bound to it, and a dead-letter exchange and
 * queue where poison messages end up instead of being redelivered forever.
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from 'amqplib';
import { USER_CREATED } from './user-created.js';

/** The names of one run's exchanges and queues. */
export interface SignupTopology {
  /** Topic exchange the relay publishes to. */
  readonly exchange: string;
  /** The points service's queue, bound to {@link SignupTopology.exchange} for `user.created`. */
  readonly queue: string;
  /** Fanout exchange the queue dead-letters to. */
  readonly deadLetterExchange: string;
  /** Where rejected messages are kept for people to look at. */
  readonly deadLetterQueue: string;
}

/** What declaring and deleting need of an amqplib channel. */
export type TopologyChannel = Pick<
  Channel,
  'assertExchange' | 'assertQueue' | 'bindQueue' | 'deleteQueue' | 'deleteExchange'
>;

/**
 * Names unique to one run, `<prefix>.<random>.<role>`, so runs sharing a broker never see
 * each other's messages.
 *
 * @example
 * signupTopology(); // { exchange: 'signup.mwr0ffa5c6f330.events', queue: 'signup.mwr0ffa5c6f330.points', ... }
 */
export function signupTopology(prefix = 'signup'): SignupTopology {
  const run = `${prefix}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  return {
    exchange: `${run}.events`,
    queue: `${run}.points`,
    deadLetterExchange: `${run}.dlx`,
    deadLetterQueue: `${run}.points.dead`,
  };
}

/**
 * Declares the exchanges and queues (all durable: messages are published persistent and
 * must survive a broker restart) and their bindings. Safe to repeat.
 *
 * @example
 * await declareTopology(channel, topology);
 */
export async function declareTopology(channel: TopologyChannel, t: SignupTopology): Promise<void> {
  await channel.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(t.deadLetterQueue, { durable: true });
  await channel.bindQueue(t.deadLetterQueue, t.deadLetterExchange, '');
  await channel.assertExchange(t.exchange, 'topic', { durable: true });
  await channel.assertQueue(t.queue, { durable: true, deadLetterExchange: t.deadLetterExchange });
  await channel.bindQueue(t.queue, t.exchange, USER_CREATED);
}

/** Deletes the queues and exchanges, with whatever messages they still hold. */
export async function deleteTopology(channel: TopologyChannel, t: SignupTopology): Promise<void> {
  await channel.deleteQueue(t.queue);
  await channel.deleteQueue(t.deadLetterQueue);
  await channel.deleteExchange(t.exchange);
  await channel.deleteExchange(t.deadLetterExchange);
}
