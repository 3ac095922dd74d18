/**
 * The user service's database (PostgreSQL): the `users` table and the outbox beside it.
 * A sign-up writes the user and its `user.created` message in one local transaction, so
 * the message exists if and only if the user does.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PgOutbox } from '@accord/client/outbox';
import { USER_CREATED, type UserCreated } from './user-created.js';

/** The `users` table. The unique email is what refuses a second sign-up. */
export const USERS_DDL = `CREATE TABLE IF NOT EXISTS users (
  id varchar(64) PRIMARY KEY,
  email varchar(254) NOT NULL CONSTRAINT users_email_key UNIQUE,
  name varchar(100) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

/** A user row. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
}

/** What a sign-up asks for. */
export interface SignupInput {
  readonly email: string;
  readonly name: string;
}

/** A committed sign-up: the user and the id of its outbox message. */
export interface Signup {
  readonly user: User;
  readonly messageId: string;
}

/** The email belongs to a user already; nothing was written. Code `EMAIL_TAKEN`. */
export class EmailTaken extends Error {
  readonly code = 'EMAIL_TAKEN';

  constructor(readonly email: string) {
    super(`${email} is already signed up`);
    this.name = 'EmailTaken';
  }
}

/** Options of {@link signUp}. */
export interface SignUpOptions {
  /**
   * Runs after both rows are written and before `COMMIT`; a throw rolls the whole
   * transaction back (a fault a test or the demo injects).
   */
  readonly beforeCommit?: () => void;
}

/** Creates the `users` table and the outbox table with its indexes. */
export async function migrateUserStore(pool: pg.Pool, outbox: PgOutbox): Promise<void> {
  await pool.query(USERS_DDL);
  await outbox.migrate(pool);
}

/**
 * Signs a user up: `INSERT INTO users` and `outbox.add(user.created)` in one transaction.
 * A taken email (PostgreSQL's unique violation, also between concurrent sign-ups, where
 * the second waits for the first to commit) rolls back and throws {@link EmailTaken}:
 * no user, no message.
 *
 * @example
 * const { user, messageId } = await signUp(pool, outbox, { email: 'ada@example.com', name: 'Ada' });
 */
export async function signUp(
  pool: pg.Pool,
  outbox: PgOutbox,
  input: SignupInput,
  options: SignUpOptions = {},
): Promise<Signup> {
  const user: User = {
    id: randomUUID(),
    email: input.email.trim().toLowerCase(),
    name: input.name,
  };
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO users (id, email, name) VALUES ($1, $2, $3)', [
      user.id,
      user.email,
      user.name,
    ]);
    const payload: UserCreated = { userId: user.id, email: user.email };
    const messageId = await outbox.add(client, { topic: USER_CREATED, payload });
    options.beforeCommit?.();
    await client.query('COMMIT');
    return { user, messageId };
  } catch (error) {
    // A connection that cannot even roll back is closed rather than pooled again.
    await client.query('ROLLBACK').catch(() => (broken = true));
    const e = error as { code?: unknown; constraint?: unknown };
    if (e.code === '23505' && e.constraint === 'users_email_key') throw new EmailTaken(user.email);
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Every committed user, oldest first. */
export async function listUsers(db: pg.Pool): Promise<User[]> {
  const { rows } = await db.query<User>(
    'SELECT id, email, name FROM users ORDER BY created_at, id',
  );
  return rows;
}
