/**
 * Where the machine's PostgreSQL server binaries (`initdb`, `postgres`) are: the
 * directory named by ACCORD_TEST_POSTGRES_BIN, else the newest
 * `/usr/lib/postgresql/<major>/bin` (Debian and Ubuntu), else `pg_config --bindir`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_ROOT = '/usr/lib/postgresql';

function hasServer(dir: string): boolean {
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
}

/** The binaries' directory; throws with what to install when there is none. */
export function postgresBinaries(): string {
  const named = process.env['ACCORD_TEST_POSTGRES_BIN'];
  if (named) {
    if (hasServer(named)) return named;
    throw new Error(`ACCORD_TEST_POSTGRES_BIN=${named} holds no initdb and postgres`);
  }
  let majors: string[] = [];
  try {
    majors = readdirSync(DEBIAN_ROOT).filter((v) => /^\d+$/.test(v));
  } catch {
    // not a Debian layout
  }
  majors.sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const dir = join(DEBIAN_ROOT, major, 'bin');
    if (hasServer(dir)) return dir;
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = config.status === 0 ? config.stdout.trim() : '';
  if (dir && hasServer(dir)) return dir;
  throw new Error(
    'no PostgreSQL server binaries (initdb, postgres) found: install them ' +
      '(apt-get install postgresql) or set ACCORD_TEST_POSTGRES_BIN to their directory',
  );
}
