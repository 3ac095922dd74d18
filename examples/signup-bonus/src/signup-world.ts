/**
 * The whole example in one process: the user service on a fresh PostgreSQL schema, its
 * relays, the points service on a fresh MariaDB database, and a fresh exchange, queue and
 * dead-letter queue on RabbitMQ. Every name is unique to the run; `close()` deletes them
 * all. Used by the demo and the tests.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import type { OutboxStatus } from '@accord/client/outbox';
import { openPointsLedger } from './points-ledger.js';
import { startPointsService, type PointsService } from './points-service.js';
import { PublishTap } from './publish-tap.js';
import { createMysqlDatabase, createPgSchema, type ScratchDatabase } from './scratch-space.js';
import { checkSignups, type SignupReport } from './signup-check.js';
import {
  declareTopology,
  deleteTopology,
  signupTopology,
  type SignupTopology,
} from './topology.js';
import { USER_CREATED } from './user-created.js';
import { startUserRelay, type UserRelay, type UserRelayOptions } from './user-relay.js';
import { startUserService, type UserService } from './user-service.js';

/** Settings of a relay the world starts (the rest comes from the world). */
export type WorldRelayOptions = Partial<
  Omit<UserRelayOptions, 'url' | 'outbox' | 'exchange' | 'wrapPublisher'>
>;

/** What to start, and where. */
export interface SignupWorldOptions {
  /** A PostgreSQL URL whose user may create schemas. */
  readonly postgresUrl: string;
  /** A MariaDB/MySQL URL whose user may create databases. */
  readonly mysqlUrl: string;
  /** The RabbitMQ URL (the consumer's and, unless a relay says otherwise, the relays'). */
  readonly amqpUrl: string;
  /** Start one relay with the world (default true); false: rows wait for `startRelay()`. */
  readonly startRelay?: boolean;
  /** Settings every relay starts with (default: 10 s lease, 100 ms cycles). */
  readonly relayDefaults?: WorldRelayOptions;
  /** The consumer's prefetch (default 10). */
  readonly prefetch?: number;
  /** The consumer's pause before requeueing a failed grant, ms (default 200). */
  readonly retryDelayMs?: number;
  /**
   * Start of the scratch schema's and database's names (default `signup`), e.g. to carry
   * a test run's mark so leftovers can be traced to the run.
   */
  readonly scratchPrefix?: string;
}

/** An outbox row as the world shows it. */
export interface OutboxRowView {
  readonly id: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly leaseOwner: string | null;
}

/** The answer to a sign-up request. */
export interface SignupResponse {
  readonly status: number;
  readonly body: {
    readonly user?: { readonly id: string; readonly email: string };
    readonly messageId?: string;
    readonly code?: string;
    readonly message?: string;
  };
}

/** A started world. */
export interface SignupWorld {
  readonly topology: SignupTopology;
  /** The user service's PostgreSQL schema. */
  readonly schema: string;
  /** The points service's MariaDB database. */
  readonly database: string;
  readonly users: UserService;
  readonly points: PointsService;
  /** Sees every relay's publishes; can kill a relay mid-publish. */
  readonly tap: PublishTap;
  /** The relays running now. */
  readonly relays: readonly UserRelay[];
  /** Starts one more relay on the outbox; its owner defaults to `relay-<n>`. */
  startRelay(options?: WorldRelayOptions): Promise<UserRelay>;
  /** Stops one relay (a frozen publish of it must be released first). */
  stopRelay(relay: UserRelay): Promise<void>;
  /** `POST /users` on the user service. */
  signUp(email: string, name: string): Promise<SignupResponse>;
  /** Every outbox row, oldest first. */
  outboxRows(): Promise<OutboxRowView[]>;
  /**
   * Publishes outbox messages again, straight to the exchange with the same message id,
   * as a relay that lost its record of them would: consumer-side duplicates.
   */
  republish(ids: readonly string[]): Promise<void>;
  /** Publishes an arbitrary message to the exchange (e.g. a poison one). */
  publishRaw(content: string, messageId?: string): Promise<void>;
  /** Messages ready in the points queue (not counting those delivered and unacked). */
  queueDepth(): Promise<number>;
  /** Takes every message off the dead-letter queue. */
  takeDeadLetters(): Promise<GetMessage[]>;
  /** Compares the committed users with the bonuses granted. */
  report(): Promise<SignupReport>;
  /** Stops everything and deletes the schema, database, queues and exchanges (once). */
  close(): Promise<void>;
}

/** Runs every step even when some fail; throws the failures together. */
async function runAll(steps: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'several teardown steps failed');
}

/** Publishes on a confirm channel and waits for the broker's confirm. */
function confirmedPublish(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: string,
  messageId: string | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(
      exchange,
      routingKey,
      Buffer.from(content),
      {
        persistent: true,
        contentType: 'application/json',
        ...(messageId !== undefined && { messageId }),
      },
      (error: Error | null) => (error ? reject(error) : resolve()),
    );
  });
}

/**
 * Creates the scratch schema, database and topology, then starts the points service, the
 * user service and (unless told not to) one relay. If anything fails on the way, what was
 * made is removed again.
 *
 * @example
 * const world = await startSignupWorld({ postgresUrl, mysqlUrl, amqpUrl });
 * await world.signUp('ada@example.com', 'Ada');
 * await world.close();
 */
export async function startSignupWorld(options: SignupWorldOptions): Promise<SignupWorld> {
  const topology = signupTopology();
  const relays: UserRelay[] = [];
  const tap = new PublishTap();
  const steps: Array<() => Promise<unknown>> = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    tap.releaseFrozen();
    closing ??= runAll([...steps].reverse());
    return closing;
  };
  let relayCount = 0;

  try {
    const scratchPrefix = options.scratchPrefix ?? 'signup';
    const schema: ScratchDatabase = await createPgSchema(
      options.postgresUrl,
      `${scratchPrefix}_users`,
    );
    steps.push(() => schema.drop());
    const database = await createMysqlDatabase(options.mysqlUrl, `${scratchPrefix}_points`);
    steps.push(() => database.drop());

    const admin: ChannelModel = await amqp.connect(options.amqpUrl);
    admin.on('error', () => undefined);
    steps.push(() => admin.close());
    const channel: Channel = await admin.createChannel();
    await declareTopology(channel, topology);
    steps.push(() => deleteTopology(channel, topology));
    const publishing = await admin.createConfirmChannel();

    const ledger = openPointsLedger(database.url);
    steps.push(() => ledger.close());
    await ledger.migrate();
    const points = await startPointsService({
      ledger,
      amqpUrl: options.amqpUrl,
      queue: topology.queue,
      prefetch: options.prefetch ?? 10,
      retryDelayMs: options.retryDelayMs ?? 200,
    });
    steps.push(() => points.stop());

    const users = await startUserService({
      url: schema.url,
      onCommitted: () => {
        for (const relay of relays) relay.wake();
      },
    });
    steps.push(() => users.close());
    // Relays stop before anything else (steps run in reverse).
    steps.push(() => Promise.all(relays.splice(0).map((r) => r.stop())));

    const startRelay = async (extra: WorldRelayOptions = {}) => {
      relayCount += 1;
      const settings = { ...options.relayDefaults, ...extra };
      const owner = settings.owner ?? `relay-${relayCount}`;
      const relay = await startUserRelay({
        amqpUrl: options.amqpUrl,
        leaseMs: 10_000,
        intervalMs: 100,
        ...settings,
        owner,
        url: schema.url,
        outbox: users.outbox,
        exchange: topology.exchange,
        wrapPublisher: tap.wrap(owner),
      });
      relays.push(relay);
      return relay;
    };
    if (options.startRelay !== false) await startRelay();

    return {
      topology,
      schema: schema.name,
      database: database.name,
      users,
      points,
      tap,
      relays,
      startRelay,
      async stopRelay(relay) {
        const at = relays.indexOf(relay);
        if (at >= 0) relays.splice(at, 1);
        await relay.stop();
      },
      async signUp(email, name) {
        const res = await fetch(`${users.url}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, name }),
        });
        return { status: res.status, body: (await res.json()) as SignupResponse['body'] };
      },
      async outboxRows() {
        const { rows } = await users.pool.query<Record<string, unknown>>(
          `SELECT id, status, attempts, last_error, lease_owner FROM ${users.outbox.table}
            ORDER BY created_at, id`,
        );
        return rows.map((r) => ({
          id: String(r['id']),
          status: r['status'] as OutboxStatus,
          attempts: Number(r['attempts']),
          lastError: r['last_error'] as string | null,
          leaseOwner: r['lease_owner'] as string | null,
        }));
      },
      async republish(ids) {
        const { rows } = await users.pool.query<{ id: string; topic: string; payload: string }>(
          `SELECT id, topic, payload FROM ${users.outbox.table} WHERE id = ANY($1)`,
          [ids],
        );
        for (const row of rows) {
          await confirmedPublish(publishing, topology.exchange, row.topic, row.payload, row.id);
        }
      },
      publishRaw: (content, messageId) =>
        confirmedPublish(publishing, topology.exchange, USER_CREATED, content, messageId),
      async queueDepth() {
        return (await channel.checkQueue(topology.queue)).messageCount;
      },
      async takeDeadLetters() {
        const taken: GetMessage[] = [];
        for (;;) {
          const message = await channel.get(topology.deadLetterQueue, { noAck: true });
          if (message === false) return taken;
          taken.push(message);
        }
      },
      async report() {
        return checkSignups(await users.users(), await ledger.bonuses());
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
