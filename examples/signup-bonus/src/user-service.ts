/**
 * The user service: `POST /users` over its own PostgreSQL schema. It never talks to
 * RabbitMQ itself; a relay (see user-relay.ts) publishes what its sign-ups commit to the
 * outbox.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pgOutbox, type PgOutbox } from '@accord/client/outbox';
import {
  EmailTaken,
  listUsers,
  migrateUserStore,
  signUp,
  type Signup,
  type User,
} from './user-store.js';

/** How the user service is set up. */
export interface UserServiceOptions {
  /** PostgreSQL URL landing in the service's schema (tables are created if missing). */
  readonly url: string;
  /** The outbox (default `pgOutbox()`: table `accord_outbox` in the schema). */
  readonly outbox?: PgOutbox;
  /** Port on 127.0.0.1 (default 0: any free one). */
  readonly port?: number;
  /** Most database connections at once (default 10). */
  readonly poolSize?: number;
  /** Told of every committed sign-up, e.g. to wake the relays instead of waiting a cycle. */
  readonly onCommitted?: (signup: Signup) => void;
}

/** Faults the service can be told to show. */
export interface UserFaults {
  /**
   * The next so many sign-ups fail after writing the user and the outbox row, before
   * `COMMIT`: the transaction rolls back whole (HTTP 500).
   */
  failBeforeCommit: number;
}

/** A running user service. */
export interface UserService {
  readonly app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly pool: pg.Pool;
  readonly outbox: PgOutbox;
  readonly faults: UserFaults;
  /** Every committed user, oldest first. */
  users(): Promise<User[]>;
  /** Stops the HTTP server and closes the pool. */
  close(): Promise<void>;
}

const signupBody = {
  type: 'object',
  required: ['email', 'name'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' },
    name: { type: 'string', minLength: 1, maxLength: 100 },
  },
} as const;

/**
 * Starts the user service on 127.0.0.1. `POST /users {email, name}` answers 201
 * `{ user, messageId }`, or 409 `{ code: 'EMAIL_TAKEN' }` for an email already signed up
 * (nothing written, so nothing published).
 *
 * @example
 * const users = await startUserService({ url: schema.url, onCommitted: () => relay.wake() });
 * await fetch(`${users.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ email: 'ada@example.com', name: 'Ada' }) });
 */
export async function startUserService(options: UserServiceOptions): Promise<UserService> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  const outbox = options.outbox ?? pgOutbox();
  const faults: UserFaults = { failBeforeCommit: 0 };
  const app = Fastify({ logger: false });

  const beforeCommit = () => {
    if (faults.failBeforeCommit <= 0) return;
    faults.failBeforeCommit -= 1;
    throw new Error('injected failure before COMMIT');
  };

  app.post<{ Body: { email: string; name: string } }>(
    '/users',
    { schema: { body: signupBody } },
    async (request, reply) => {
      try {
        const signup = await signUp(pool, outbox, request.body, { beforeCommit });
        options.onCommitted?.(signup);
        return reply.code(201).send(signup);
      } catch (error) {
        if (error instanceof EmailTaken) {
          return reply.code(409).send({ code: error.code, message: error.message });
        }
        const message = error instanceof Error ? error.message : String(error);
        return reply.code(500).send({ code: 'INTERNAL', message });
      }
    },
  );

  try {
    await migrateUserStore(pool, outbox);
    const url = await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
    return {
      app,
      url,
      pool,
      outbox,
      faults,
      users: () => listUsers(pool),
      async close() {
        await app.close();
        await pool.end();
      },
    };
  } catch (error) {
    await app.close();
    await pool.end();
    throw error;
  }
}
