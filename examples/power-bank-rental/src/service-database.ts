/**
 * What the kiosk and the order service share: each opens its own SQLite database with the
 * barrier table, and serves the two routes a hold needs (its delayed check and the
 * message's check-back).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkBackHandler, sqliteBarrier, type SqliteBarrier } from '@accord/client/barrier';
import { accordHandler } from '@accord/client/participant';
import { holdCheckHandler, type HoldSettler } from '@accord/client/reservation';
import type { Handler } from './http-helpers.js';

/** A service's database and the barrier inside it. */
export interface ServiceDatabase {
  readonly db: Database.Database;
  readonly barrier: SqliteBarrier;
}

/** Opens (or creates) `<dir>/<name>.sqlite` in WAL mode, with the barrier table. */
export function openServiceDatabase(dir: string, name: string): ServiceDatabase {
  const db = new Database(join(dir, `${name}.sqlite`));
  db.pragma('journal_mode = WAL');
  const barrier = sqliteBarrier();
  barrier.migrate(db);
  return { db, barrier };
}

/** The check route of the service's holds and the check-back of their messages. */
export function holdRoutes<P>(
  { db, barrier }: ServiceDatabase,
  settler: HoldSettler<P>,
  secret: string,
): { readonly check: Handler; readonly checkBack: Handler } {
  return {
    check: accordHandler(holdCheckHandler(settler), { secret }),
    checkBack: accordHandler(
      checkBackHandler((gid) => barrier.checkPrepared(db, gid)),
      { secret },
    ),
  };
}
