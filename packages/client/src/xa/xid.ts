/**
 * How an Accord branch (gid, branchId) is named inside a database's XA machinery, and
 * back. The names carry a mark (a prefix on PostgreSQL, a format id on MySQL/MariaDB)
 * so that recovery only ever touches prepared transactions Accord created.
 */
import { ValidationError, type FieldIssue } from '@accord/core';

/** The branch a prepared transaction belongs to. */
export interface XaBranchKey {
  readonly gid: string;
  readonly branchId: string;
}

/** Default mark of Accord's PostgreSQL transaction identifiers (`accord:<gid>:<branch>`). */
export const PG_XID_PREFIX = 'accord';

/** PostgreSQL's limit on a `PREPARE TRANSACTION` identifier, in bytes (`GIDSIZE` - 1). */
export const PG_XID_MAX_BYTES = 199;

/** Default MySQL/MariaDB `formatID` of Accord's xids: the bytes `ACRD`. */
export const ACCORD_FORMAT_ID = 0x41435244;

/** MySQL/MariaDB's limit on each of `gtrid` and `bqual`, in bytes. */
export const MYSQL_XID_PART_MAX_BYTES = 64;

const PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** Bytes kept as they are in a PostgreSQL identifier; everything else becomes `%XX`. */
const PLAIN_BYTE = /^[A-Za-z0-9._-]$/;
const ENCODED = /^(?:[A-Za-z0-9._-]|%[0-9A-F]{2})+$/;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function emptyIssues(key: XaBranchKey): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (key.gid.length === 0) issues.push({ path: 'gid', message: 'must not be empty' });
  if (key.branchId.length === 0) issues.push({ path: 'branchId', message: 'must not be empty' });
  return issues;
}

/**
 * Checks a PostgreSQL prefix (1–32 of `A-Z a-z 0-9 _ -`). Throws `ValidationError`.
 *
 * @example
 * checkPgXidPrefix('accord_orders'); // ok
 */
export function checkPgXidPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ValidationError([
      { path: 'prefix', message: 'must be 1-32 characters of A-Z, a-z, 0-9, "_" and "-"' },
    ]);
  }
}

/** Percent-encodes every UTF-8 byte outside `A-Z a-z 0-9 . _ -`. */
function encodePart(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += PLAIN_BYTE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodePart(encoded: string): string | undefined {
  if (!ENCODED.test(encoded)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i += 1) {
    if (encoded[i] === '%') {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  let value: string;
  try {
    value = strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // Only the one canonical spelling is ours (no `%41` for `A`, no lowercase hex).
  return encodePart(value) === encoded ? value : undefined;
}

/**
 * The PostgreSQL transaction identifier of a branch: `<prefix>:<gid>:<branchId>`, each
 * part percent-encoded so that it holds only `A-Z a-z 0-9 . _ - % :`. It can therefore be
 * written between single quotes as it is, whatever the gid and branch id contain. Throws
 * `ValidationError` naming the field when a part is empty or the identifier would exceed
 * {@link PG_XID_MAX_BYTES} (every byte outside the plain set takes three).
 *
 * @example
 * pgXid({ gid: 'order-42', branchId: '01' }); // 'accord:order-42:01'
 * pgXid({ gid: 'a b', branchId: 'x/y' }); // 'accord:a%20b:x%2Fy'
 */
export function pgXid(key: XaBranchKey, prefix: string = PG_XID_PREFIX): string {
  checkPgXidPrefix(prefix);
  const issues = emptyIssues(key);
  if (issues.length > 0) throw new ValidationError(issues);
  const gid = encodePart(key.gid);
  const branchId = encodePart(key.branchId);
  const xid = `${prefix}:${gid}:${branchId}`;
  if (xid.length > PG_XID_MAX_BYTES) {
    const field = gid.length >= branchId.length ? 'gid' : 'branchId';
    throw new ValidationError([
      {
        path: field,
        message:
          `too long for a PostgreSQL prepared transaction: the identifier "${prefix}:<gid>:<branchId>" ` +
          `would be ${xid.length} bytes, the limit is ${PG_XID_MAX_BYTES} ` +
          '(each byte outside A-Z, a-z, 0-9, ".", "_", "-" counts three)',
      },
    ]);
  }
  return xid;
}

/**
 * The branch named by a PostgreSQL identifier, or `undefined` when it is not one of
 * Accord's under this prefix.
 *
 * @example
 * parsePgXid('accord:a%20b:01'); // { gid: 'a b', branchId: '01' }
 * parsePgXid('someone-else');    // undefined
 */
export function parsePgXid(xid: string, prefix: string = PG_XID_PREFIX): XaBranchKey | undefined {
  const head = `${prefix}:`;
  if (!xid.startsWith(head)) return undefined;
  const parts = xid.slice(head.length).split(':');
  if (parts.length !== 2) return undefined;
  const gid = decodePart(parts[0] ?? '');
  const branchId = decodePart(parts[1] ?? '');
  return gid === undefined || branchId === undefined ? undefined : { gid, branchId };
}

/**
 * Checks a MySQL/MariaDB format id (a signed 32-bit integer other than -1, which means
 * "null xid"). Throws `ValidationError`.
 */
export function checkFormatId(formatId: number): void {
  if (!Number.isInteger(formatId) || formatId < 0 || formatId > 0x7fffffff) {
    throw new ValidationError([
      { path: 'formatId', message: 'must be an integer from 0 to 2147483647' },
    ]);
  }
}

/**
 * The xid of a branch as it follows `XA START`, `XA END`, `XA PREPARE`, `XA COMMIT` and
 * `XA ROLLBACK`: `X'<gtrid>',X'<bqual>',<formatId>`, where gtrid is the gid's UTF-8 bytes
 * and bqual the branch id's, written as hex literals (so no character needs quoting).
 * Throws `ValidationError` naming the field when one is empty or longer than
 * {@link MYSQL_XID_PART_MAX_BYTES} bytes.
 *
 * @example
 * mysqlXidSql({ gid: 'g1', branchId: '01' }); // "X'6731',X'3031',1094931012"
 */
export function mysqlXidSql(key: XaBranchKey, formatId: number = ACCORD_FORMAT_ID): string {
  checkFormatId(formatId);
  const issues = emptyIssues(key);
  const gtrid = Buffer.from(key.gid, 'utf8');
  const bqual = Buffer.from(key.branchId, 'utf8');
  const limit = MYSQL_XID_PART_MAX_BYTES;
  for (const [path, bytes] of [
    ['gid', gtrid],
    ['branchId', bqual],
  ] as const) {
    if (bytes.length > limit) {
      issues.push({
        path,
        message: `must be at most ${limit} bytes (UTF-8) to fit a MySQL/MariaDB xid; it is ${bytes.length}`,
      });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return `X'${gtrid.toString('hex')}',X'${bqual.toString('hex')}',${formatId}`;
}

/** One row of `XA RECOVER` as mysql2 returns it (`data` is the gtrid then the bqual). */
export interface XaRecoverRow {
  readonly formatID?: unknown;
  readonly gtrid_length?: unknown;
  readonly bqual_length?: unknown;
  readonly data?: unknown;
}

function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return undefined;
}

/**
 * The branch named by one `XA RECOVER` row, or `undefined` when the row is not one of
 * Accord's with this format id (or its bytes are not the UTF-8 an Accord xid holds).
 *
 * @example
 * const [rows] = await pool.query('XA RECOVER');
 * const mine = (rows as XaRecoverRow[]).map((r) => parseMysqlXid(r)).filter(Boolean);
 */
export function parseMysqlXid(
  row: XaRecoverRow,
  formatId: number = ACCORD_FORMAT_ID,
): XaBranchKey | undefined {
  if (Number(row.formatID) !== formatId) return undefined;
  const gtridLength = Number(row.gtrid_length);
  const bqualLength = Number(row.bqual_length);
  const data = bytesOf(row.data);
  if (!data || !Number.isInteger(gtridLength) || !Number.isInteger(bqualLength)) return undefined;
  if (gtridLength < 1 || bqualLength < 1 || data.length !== gtridLength + bqualLength) {
    return undefined;
  }
  try {
    return {
      gid: strictUtf8.decode(data.subarray(0, gtridLength)),
      branchId: strictUtf8.decode(data.subarray(gtridLength)),
    };
  } catch {
    return undefined;
  }
}

/** A readable name of a branch for messages: `gid/branchId`. */
export function describeBranch(key: XaBranchKey): string {
  return `${key.gid}/${key.branchId}`;
}
