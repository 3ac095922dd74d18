/**
 * What every inbox dialect resolves the same way: table and consumer names, and the
 * checks on a message id.
 */
import { INBOX_TABLE, OUTBOX_LIMITS } from './sql.js';
import type { InboxOptions } from './types.js';
import { checkKey } from './validate.js';

/** The parts of an inbox that do not depend on the dialect. */
export interface InboxSetup {
  /** The table name. */
  readonly table: string;
  /** The consumer whose message ids this inbox records. */
  readonly consumer: string;
  /** The table's `CREATE TABLE IF NOT EXISTS` and index statements. */
  readonly ddl: readonly string[];
}

/** Default consumer name. */
export const DEFAULT_CONSUMER = 'default';

/**
 * Resolves an inbox's table and consumer, refusing an unusable consumer name with a
 * `ValidationError`.
 */
export function inboxKey(options: InboxOptions): { table: string; consumer: string } {
  const consumer = options.consumer ?? DEFAULT_CONSUMER;
  checkKey('consumer', consumer, OUTBOX_LIMITS.consumer);
  return { table: options.table ?? INBOX_TABLE, consumer };
}

/**
 * Refuses a message id the table could not key exactly (too long, surrounding
 * whitespace, which MySQL's PAD SPACE collation would ignore, control characters).
 */
export function checkMessageId(messageId: unknown): asserts messageId is string {
  checkKey('messageId', messageId, OUTBOX_LIMITS.id);
}
