/**
 * The account private servers run as when the tests run as root: PostgreSQL refuses to
 * run as root, so its processes (and their data directory) belong to `postgres`, or to
 * `nobody` where there is no such account.
 */
import { readFileSync } from 'node:fs';

/** A system account's ids. */
export interface Account {
  readonly uid: number;
  readonly gid: number;
}

function lookup(name: string): Account | undefined {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** The account to switch to, or `undefined` when not running as root (no switch needed). */
export function unprivilegedUser(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const account = lookup('postgres') ?? lookup('nobody');
  if (!account) throw new Error('running as root, but there is no postgres or nobody account');
  return account;
}
