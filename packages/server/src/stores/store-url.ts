/**
 * How a store URL is written: which schemes name which backend, and where a `sqlite:` file
 * lives. The one home of these rules: the configuration checks `ACCORD_STORE` with them and
 * the store registry opens stores with them. Imports no backend.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../common/config-error.js';
import { redactUrl } from '@accord/protocol';

/** The store backends. */
export type StoreKind = 'sqlite' | 'postgres' | 'mysql' | 'redis';

/** The URL forms of one backend. */
export interface StoreUrlForm {
  readonly kind: StoreKind;
  /** URL prefixes (lower case) named in messages. */
  readonly prefixes: readonly string[];
  /** Other prefixes accepted as well (`postgresql://`, TLS's `rediss://`). */
  readonly variants: readonly string[];
  /** How the URL is written, for the docs and messages. */
  readonly example: string;
}

/** Every backend's URL forms, in the order messages list them. */
export const STORE_URL_FORMS: readonly StoreUrlForm[] = [
  {
    kind: 'sqlite',
    prefixes: ['sqlite:'],
    variants: [],
    example: 'sqlite:<path> (relative to the data dir) or sqlite::memory:',
  },
  {
    kind: 'postgres',
    prefixes: ['postgres://'],
    variants: ['postgresql://'],
    example: 'postgres://user:password@host:5432/database (or postgresql://)',
  },
  {
    kind: 'mysql',
    prefixes: ['mysql://', 'mariadb://'],
    variants: [],
    example: 'mysql://user:password@host:3306/database (or mariadb://)',
  },
  {
    kind: 'redis',
    prefixes: ['redis://'],
    variants: ['rediss://'],
    example:
      'redis://[user:password@]host:6379[/db][?prefix=accord:&shards=16&cluster=true&durable=true] (or rediss://)',
  },
];

/** Every accepted prefix, variants included. */
export const STORE_URL_PREFIXES: readonly string[] = STORE_URL_FORMS.flatMap((form) => [
  ...form.prefixes,
  ...form.variants,
]);

/** The in-memory SQLite database: nothing survives a restart. */
export const SQLITE_MEMORY = 'sqlite::memory:';

function formOf(url: string): StoreUrlForm | undefined {
  const lower = url.trim().toLowerCase();
  return STORE_URL_FORMS.find((form) =>
    [...form.prefixes, ...form.variants].some((prefix) => lower.startsWith(prefix)),
  );
}

/**
 * The backend a store URL names. Throws {@link ConfigError} naming `ACCORD_STORE` for an
 * unknown scheme or a `sqlite:` URL without a path; the message never shows a password.
 */
export function storeKindOf(url: string): StoreKind {
  const form = formOf(url);
  if (form === undefined) {
    const named = STORE_URL_FORMS.flatMap((f) => f.prefixes);
    throw new ConfigError(
      `ACCORD_STORE must be a URL starting with ${named.slice(0, -1).join(', ')} or ${named.at(-1)} (got "${redactUrl(url.trim())}")`,
    );
  }
  if (form.kind === 'sqlite' && sqliteRest(url) === '') {
    throw new ConfigError('ACCORD_STORE: "sqlite:" needs a file path, e.g. sqlite:accord.db');
  }
  return form.kind;
}

/** What follows `sqlite:` (and an optional `//`). */
function sqliteRest(url: string): string {
  const rest = url.trim().slice('sqlite:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest; // sqlite:///abs/file.db, sqlite://rel.db
}

/**
 * The file of a `sqlite:` URL: a relative path is resolved inside `dataDir`, an absolute one
 * is kept; `:memory:` for the in-memory database.
 *
 * @example
 * sqliteFile('sqlite:accord.db', '/var/lib/accord'); // '/var/lib/accord/accord.db'
 */
export function sqliteFile(url: string, dataDir: string): string {
  storeKindOf(url);
  const rest = sqliteRest(url);
  if (rest === ':memory:') return rest;
  return isAbsolute(rest) ? rest : resolve(dataDir, rest);
}

/**
 * The store URL as the coordinator uses it: a `sqlite:` file made absolute against the data
 * dir, any other URL trimmed. Throws like {@link storeKindOf}.
 *
 * @example
 * resolveStoreUrl('sqlite:accord.db', '/data'); // 'sqlite:/data/accord.db'
 */
export function resolveStoreUrl(url: string, dataDir: string): string {
  return storeKindOf(url) === 'sqlite' ? `sqlite:${sqliteFile(url, dataDir)}` : url.trim();
}
