/**
 * The key-value part of the Store port: small, durable, named pieces of coordinator
 * state that belong to no transaction (DTM topics and their subscribers, operator
 * settings such as paused participants, job checkpoints).
 *
 * Why these writes do not go through `Store.commit`: `commit` is the group-commit path
 * of transactions, where every write is fenced by the lease of the transaction it
 * changes and batched with other transactions' writes for one durable commit. A
 * key-value entry has no lease and no transaction; its writes are rare, made by people
 * or jobs, and each needs its own answer at once (did my compare-and-set win?). So an
 * entry changes only through the three methods below, each one atomic on its own and
 * conditional on what the writer last saw: create only if absent, update or delete only
 * at the version read. That is the same discipline as the fence, in the entry's own
 * terms, without widening the batch types every backend and the engine share.
 */

/** One stored entry. */
export interface KeyValueEntry {
  readonly namespace: string;
  readonly key: string;
  /** The value as stored (any JSON value). */
  readonly value: unknown;
  /** 1 when created, +1 on every update; what a compare-and-set names. */
  readonly version: number;
}

/** What to list: keys after `after` (exclusive), at most `limit` of them. */
export interface KeyValueListQuery {
  readonly after?: string | undefined;
  readonly limit: number;
}

/** One page of a namespace, in ascending key order (UTF-8 byte order). */
export interface KeyValuePage {
  readonly items: readonly KeyValueEntry[];
  /** The `after` of the next page; null when this page is the last. */
  readonly nextAfter: string | null;
}

/**
 * Durable entries under `(namespace, key)`. Every write is a compare-and-set: of two
 * writers racing on one entry, exactly one wins and the other is told so (undefined or
 * false), never an error.
 */
export interface KeyValueStore {
  /** The entry, if present. */
  get(namespace: string, key: string): Promise<KeyValueEntry | undefined>;

  /** Entries of a namespace, ascending by key; `limit` is clamped to 1..{@link KV_LIMITS}.list. */
  list(namespace: string, query: KeyValueListQuery): Promise<KeyValuePage>;

  /** Creates the entry at version 1; undefined (nothing written) if the key exists. */
  create(namespace: string, key: string, value: unknown): Promise<KeyValueEntry | undefined>;

  /**
   * Replaces the value if the stored version is still `version`, raising it by one;
   * undefined (nothing written) if the entry is gone or has moved on.
   */
  update(
    namespace: string,
    key: string,
    value: unknown,
    version: number,
  ): Promise<KeyValueEntry | undefined>;

  /** Deletes the entry if its stored version is still `version`; false otherwise. */
  delete(namespace: string, key: string, version: number): Promise<boolean>;
}

/** Sizes every backend accepts (the SQL columns are sized from these). */
export const KV_LIMITS = {
  /** Characters of a namespace: lower-case letters, digits, `.`, `_`, `-`. */
  namespace: 64,
  /** Characters of a key (any text without NUL). */
  key: 512,
  /** Bytes of a value's JSON text. */
  valueBytes: 256 * 1024,
  /** Entries of one page. */
  list: 1000,
} as const;

const NAMESPACE = /^[a-z0-9._-]+$/;
const UTF8 = new TextEncoder();

/**
 * Checks a namespace and key, and the value's JSON text when given; returns that text.
 * Throws a plain Error: callers validate user input before it reaches a store, so a
 * failure here is a programming error.
 */
export function checkKeyValue(namespace: string, key: string, value?: unknown): string {
  if (namespace.length > KV_LIMITS.namespace || !NAMESPACE.test(namespace)) {
    throw new Error(`key-value: bad namespace "${namespace}"`);
  }
  if (key.length === 0 || key.length > KV_LIMITS.key || key.includes('\0')) {
    throw new Error(`key-value: bad key in ${namespace} (empty, too long or with NUL)`);
  }
  if (arguments.length < 3) return '';
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new Error(`key-value: value of ${namespace}/${key} is not JSON`);
  if (UTF8.encode(text).length > KV_LIMITS.valueBytes) {
    throw new Error(
      `key-value: value of ${namespace}/${key} is over ${KV_LIMITS.valueBytes} bytes`,
    );
  }
  return text;
}

/** A list limit clamped to 1..{@link KV_LIMITS}.list. */
export function kvPageSize(limit: number): number {
  return Math.min(KV_LIMITS.list, Math.max(1, Math.trunc(limit) || 1));
}

/** Compares keys in UTF-8 byte order, the order every backend lists in. */
export function compareKeys(a: string, b: string): number {
  const x = UTF8.encode(a);
  const y = UTF8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
