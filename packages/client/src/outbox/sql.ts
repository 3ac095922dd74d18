/**
 * The outbox's and inbox's SQL, as data: DDL and statements per dialect. Times are epoch
 * milliseconds (`bigint`) from the SDK's clock, like the coordinator's own stores, so every
 * relay and producer compares the same kind of number whatever the database's time zone.
 */
import { ValidationError } from '@accord/core';

/** Databases the outbox and inbox speak. `mysql` covers MySQL and MariaDB (InnoDB). */
export type OutboxDialect = 'postgres' | 'mysql' | 'sqlite';
/** Default outbox table name. */
export const OUTBOX_TABLE = 'accord_outbox';
/** Default inbox table name. */
export const INBOX_TABLE = 'accord_inbox';

/** Longest values, in characters. Bounded so MySQL keys stay under InnoDB's index limit. */
export const OUTBOX_LIMITS = {
  /** Message ids (and so coordinator gids): the coordinator's own gid limit. */
  id: 128,
  topic: 255,
  /** Inbox consumer names. */
  consumer: 128,
  /** Relay owner names. */
  owner: 128,
  /** `last_error` is cut to this length. */
  error: 2000,
} as const;

/** Row states. `dead`: gave up after `maxAttempts`; kept for people to look at. */
export type OutboxStatus = 'pending' | 'sent' | 'dead';

/** The outbox statements of one dialect and table; parameters are listed per statement. */
export interface OutboxSql {
  /** `CREATE TABLE IF NOT EXISTS` and its indexes, one statement each. */
  readonly ddl: readonly string[];
  /** (id, topic, payload, headers, created_at, available_at). */
  readonly insert: string;
  /**
   * PostgreSQL and SQLite: one statement that claims due rows and returns them.
   * (now, limit, owner, lease_until, lease_until). MySQL: undefined (see `lockDue` and
   * `claimLocked`).
   */
  readonly claim?: string;
  /** MySQL: (now, limit), inside a transaction: locks due rows, skipping locked ones. */
  readonly lockDue?: string;
  /** MySQL: (owner, lease_until, lease_until, ids) for the rows `lockDue` returned. */
  readonly claimLocked?: string;
  /** (sent_at, id). Succeeds for any pending row, whoever holds its lease. */
  readonly markSent: string;
  /** (status, attempts, available_at, last_error, id, owner, attempts as claimed). Fenced. */
  readonly markFailed: string;
  /** (available_at, id, owner, attempts as claimed). Fenced; undoes the claim's count. */
  readonly release: string;
  /** (available_at, id): a dead row back to pending, attempts reset. */
  readonly revive: string;
  /** (sent_before). */
  readonly purgeSent: string;
  /** (id). */
  readonly exists: string;
}

/** The inbox statements of one dialect and table. */
export interface InboxSql {
  readonly ddl: readonly string[];
  /** (consumer, message_id, created_at); affects 0 rows when the key exists. */
  readonly insertIgnore: string;
  /** (consumer, created_before). */
  readonly purge: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
const L = OUTBOX_LIMITS;

/** What sets one dialect apart: types and capabilities, never a branch on its name. */
interface DialectSpec {
  readonly key: (chars: number) => string;
  readonly text: string;
  readonly longText: string;
  readonly int: string;
  readonly bigint: string;
  readonly tableOptions: string;
  readonly numberedParams: boolean;
  /** Indexes with a WHERE clause; without, a composite index leads with `status`. */
  readonly partialIndexes: boolean;
  readonly ignoreDuplicates: 'on-conflict' | 'insert-ignore';
  /**
   * How due rows are claimed: a CTE locking with SKIP LOCKED feeding an UPDATE ... RETURNING
   * (PostgreSQL); a plain UPDATE ... RETURNING, atomic because writers are serialised
   * (SQLite); or a locking SELECT then an UPDATE in one short transaction (MySQL, which
   * has no UPDATE ... RETURNING).
   */
  readonly claim: 'cte-returning' | 'update-returning' | 'lock-then-update';
}

const DIALECTS: Record<OutboxDialect, DialectSpec> = {
  postgres: {
    key: (n) => `varchar(${n})`,
    text: 'text',
    longText: 'text',
    int: 'integer',
    bigint: 'bigint',
    tableOptions: '',
    numberedParams: true,
    partialIndexes: true,
    ignoreDuplicates: 'on-conflict',
    claim: 'cte-returning',
  },
  sqlite: {
    key: () => 'TEXT',
    text: 'TEXT',
    longText: 'TEXT',
    int: 'INTEGER',
    bigint: 'INTEGER',
    tableOptions: '',
    numberedParams: false,
    partialIndexes: true,
    ignoreDuplicates: 'on-conflict',
    claim: 'update-returning',
  },
  mysql: {
    key: (n) => `varchar(${n})`,
    text: 'text',
    longText: 'mediumtext',
    int: 'int',
    bigint: 'bigint',
    // Binary collation: ids differing only in case are distinct.
    tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC',
    numberedParams: false,
    partialIndexes: false,
    ignoreDuplicates: 'insert-ignore',
    claim: 'lock-then-update',
  },
};

/** The n-th placeholder (1-based): `$n`, or `?` (those must then be bound in order). */
function placeholder(spec: DialectSpec): (n: number) => string {
  return (n) => (spec.numberedParams ? `$${n}` : '?');
}

/** Checks a table name; returns its unqualified part (index names derive from it). */
function checkTable(table: string, path: string): string {
  if (!NAME.test(table)) {
    throw new ValidationError([
      { path, message: 'must be an identifier, optionally schema-qualified' },
    ]);
  }
  return table.slice(table.indexOf('.') + 1);
}

/**
 * The outbox's statements. Throws `ValidationError` for a table name that is not a plain
 * (optionally schema-qualified) identifier.
 *
 * @example
 * for (const statement of outboxSql('postgres').ddl) console.log(`${statement};`);
 */
export function outboxSql(dialect: OutboxDialect, table: string = OUTBOX_TABLE): OutboxSql {
  const bare = checkTable(table, 'table');
  const c = DIALECTS[dialect];
  const pendingIndex = c.partialIndexes
    ? [
        `CREATE INDEX IF NOT EXISTS ${bare}_pending ON ${table} (available_at) WHERE status = 'pending'`,
        `CREATE INDEX IF NOT EXISTS ${bare}_sent ON ${table} (sent_at) WHERE status = 'sent'`,
      ]
    : [];
  const ddl = [
    [
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      `  id ${c.key(L.id)} NOT NULL PRIMARY KEY,`,
      `  topic ${c.key(L.topic)} NOT NULL,`,
      `  payload ${c.longText} NOT NULL,`,
      `  headers ${c.text} NOT NULL,`,
      `  status ${c.key(16)} NOT NULL DEFAULT 'pending',`,
      `  attempts ${c.int} NOT NULL DEFAULT 0,`,
      `  created_at ${c.bigint} NOT NULL,`,
      `  available_at ${c.bigint} NOT NULL,`,
      `  sent_at ${c.bigint},`,
      `  last_error ${c.text},`,
      `  lease_owner ${c.key(L.owner)},`,
      `  lease_until ${c.bigint}${c.partialIndexes ? '' : ','}`,
      ...(c.partialIndexes
        ? []
        : [`  KEY ${bare}_due (status, available_at),`, `  KEY ${bare}_sent (status, sent_at)`]),
      `)${c.tableOptions}`,
    ].join('\n'),
    ...pendingIndex,
  ];
  const $ = placeholder(c);
  const returned = 'id, topic, payload, headers, created_at, attempts';
  const due = `SELECT id FROM ${table} WHERE status = 'pending' AND available_at <= ${$(1)} ORDER BY available_at, id LIMIT ${$(2)}`;
  const lease = `lease_owner = ${$(3)}, lease_until = ${$(4)}, available_at = ${$(5)}`;
  const claims: Record<
    DialectSpec['claim'],
    Pick<OutboxSql, 'claim' | 'lockDue' | 'claimLocked'>
  > = {
    'cte-returning': {
      claim: [
        `WITH due AS (${due} FOR UPDATE SKIP LOCKED)`,
        `UPDATE ${table} AS o SET ${lease}, attempts = o.attempts + 1`,
        `FROM due WHERE o.id = due.id`,
        `RETURNING ${returned.replace(/(\w+)/g, 'o.$1')}`,
      ].join('\n'),
    },
    'update-returning': {
      claim: [
        `WITH due AS (${due})`,
        `UPDATE ${table} SET ${lease}, attempts = attempts + 1`,
        `WHERE id IN (SELECT id FROM due)`,
        `RETURNING ${returned}`,
      ].join('\n'),
    },
    'lock-then-update': {
      lockDue: `${due.replace('SELECT id', `SELECT ${returned}`)} FOR UPDATE SKIP LOCKED`,
      claimLocked: `UPDATE ${table} SET lease_owner = ?, lease_until = ?, available_at = ?, attempts = attempts + 1 WHERE id IN (?)`,
    },
  };
  const fence = (from: number) =>
    `id = ${$(from)} AND status = 'pending' AND lease_owner = ${$(from + 1)} AND attempts = ${$(from + 2)}`;
  const clearLease = 'lease_owner = NULL, lease_until = NULL';
  return {
    ddl,
    insert: `INSERT INTO ${table} (id, topic, payload, headers, status, attempts, created_at, available_at) VALUES (${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, 'pending', 0, ${$(5)}, ${$(6)})`,
    ...claims[c.claim],
    markSent: `UPDATE ${table} SET status = 'sent', sent_at = ${$(1)}, ${clearLease} WHERE id = ${$(2)} AND status = 'pending'`,
    markFailed: `UPDATE ${table} SET status = ${$(1)}, attempts = ${$(2)}, available_at = ${$(3)}, last_error = ${$(4)}, ${clearLease} WHERE ${fence(5)}`,
    release: `UPDATE ${table} SET attempts = attempts - 1, available_at = ${$(1)}, ${clearLease} WHERE ${fence(2)}`,
    revive: `UPDATE ${table} SET status = 'pending', attempts = 0, available_at = ${$(1)}, ${clearLease} WHERE id = ${$(2)} AND status = 'dead'`,
    purgeSent: `DELETE FROM ${table} WHERE status = 'sent' AND sent_at < ${$(1)}`,
    exists: `SELECT 1 AS found FROM ${table} WHERE id = ${$(1)}`,
  };
}

/**
 * The inbox's statements. Throws `ValidationError` for an invalid table name.
 *
 * @example
 * console.log(inboxSql('mysql').ddl.join(';\n'));
 */
export function inboxSql(dialect: OutboxDialect, table: string = INBOX_TABLE): InboxSql {
  const bare = checkTable(table, 'table');
  const c = DIALECTS[dialect];
  const $ = placeholder(c);
  const into = `INTO ${table} (consumer, message_id, created_at) VALUES (${$(1)}, ${$(2)}, ${$(3)})`;
  return {
    ddl: [
      [
        `CREATE TABLE IF NOT EXISTS ${table} (`,
        `  consumer ${c.key(L.consumer)} NOT NULL,`,
        `  message_id ${c.key(L.id)} NOT NULL,`,
        `  created_at ${c.bigint} NOT NULL,`,
        `  PRIMARY KEY (consumer, message_id)${c.partialIndexes ? '' : ','}`,
        ...(c.partialIndexes ? [] : [`  KEY ${bare}_created (consumer, created_at)`]),
        `)${c.tableOptions}`,
      ].join('\n'),
      ...(c.partialIndexes
        ? [`CREATE INDEX IF NOT EXISTS ${bare}_created ON ${table} (consumer, created_at)`]
        : []),
    ],
    insertIgnore:
      c.ignoreDuplicates === 'insert-ignore'
        ? `INSERT IGNORE ${into}`
        : `INSERT ${into} ON CONFLICT DO NOTHING`,
    purge: `DELETE FROM ${table} WHERE consumer = ${$(1)} AND created_at < ${$(2)}`,
  };
}

/**
 * The outbox table's DDL for a dialect: the `CREATE TABLE IF NOT EXISTS` statement, then
 * its indexes (PostgreSQL and SQLite create them separately, as partial indexes).
 *
 * @example
 * outboxDdl('postgres', { table: 'app.accord_outbox' }).join(';\n');
 */
export function outboxDdl(dialect: OutboxDialect, options: { table?: string } = {}): string[] {
  return [...outboxSql(dialect, options.table).ddl];
}

/**
 * The inbox table's DDL for a dialect.
 *
 * @example
 * inboxDdl('sqlite'); // ['CREATE TABLE IF NOT EXISTS accord_inbox (…)', 'CREATE INDEX …']
 */
export function inboxDdl(dialect: OutboxDialect, options: { table?: string } = {}): string[] {
  return [...inboxSql(dialect, options.table).ddl];
}
