/**
 * A coordinator's exclusive use of a SQLite database: a second file beside it (`<db>-lock`)
 * held in an open exclusive transaction. The lock is SQLite's POSIX lock on that file, so
 * the kernel releases it when the process ends in any way, kill -9 included: no stale lock
 * to clean up, no process id to check. The database itself stays open to other processes
 * (`accord migrate`, a backup), which SQLite's own locking serialises as before.
 */
import Database from 'better-sqlite3';
import { SQLITE_LOCK_SQL } from './sqlite-sql.js';

/** The lock file of a database file. */
export function lockPathOf(path: string): string {
  return `${path}-lock`;
}

/**
 * Takes the lock of the database at `path`, without waiting; the returned connection
 * holds it until closed. Throws, naming both files, when another process holds it.
 */
export function holdExclusiveLock(path: string): Database.Database {
  const lockPath = lockPathOf(path);
  const lock = new Database(lockPath, { timeout: 0 });
  try {
    for (const sql of SQLITE_LOCK_SQL) lock.exec(sql);
    return lock;
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new Error(
        `sqlite store: ${path} is in use by another coordinator (it holds ${lockPath}); a SQLite store serves one coordinator at a time`,
      );
    }
    throw error;
  }
}
