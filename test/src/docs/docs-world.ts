/**
 * Everything doc blocks run against: a live coordinator on a free port with a temporary
 * data dir, free ports for the documented addresses, a temporary PostgreSQL schema when
 * PostgreSQL is there, and the environment handed to each block's process. `close()`
 * removes all of it, and is safe to call after a failed start.
 */
import { chmodSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  createTempSchema,
  freePort,
  requireService,
  SERVICES,
  tempDir,
  uniqueName,
  type TempSchema,
} from '@accord/testkit';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import type { DocAddresses } from './addresses.js';
import { DOCS_ENV } from './prelude-env.js';

/** Services a block's prelude may need. */
export type DocsService = 'postgres' | 'rabbitmq' | 'xa-postgres';

/** The live surroundings of a docs run. */
export interface DocsWorld {
  readonly addresses: DocAddresses;
  /** Environment for every block's process. */
  readonly env: NodeJS.ProcessEnv;
  /** Scratch directory blocks run in. */
  readonly workDir: string;
  /** Why a service is missing (a skip line), or null when it is there. */
  missing(service: DocsService): string | null;
  /** The coordinator's log so far (for failure messages). */
  coordinatorLog(): string;
  close(): Promise<void>;
}

const XA_URL_VARIABLE = 'ACCORD_TEST_XA_POSTGRES_URL';

/** A schema on the PostgreSQL at `baseUrl` that allows prepared transactions. */
async function createXaSchema(baseUrl: string): Promise<TempSchema> {
  const schema = uniqueName('accord_docs_xa');
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`create schema "${schema}"`);
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    drop: () => run(`drop schema if exists "${schema}" cascade`),
  };
}

function readLogTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-4000);
  } catch {
    return '(no coordinator log)';
  }
}

/** A directory holding an `accord` command that runs this checkout's built CLI. */
function accordShim(dir: string, cli: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const path = join(bin, 'accord');
  writeFileSync(path, `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  chmodSync(path, 0o755);
  return bin;
}

/** Starts the world; on any failure what was started is closed before the error is thrown. */
export async function startDocsWorld(repoRoot: string): Promise<DocsWorld> {
  const scratch = tempDir('accord-docs-');
  const cleanups: (() => Promise<void> | void)[] = [() => scratch.remove()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error('docs test clean-up failed:', error);
      }
    }
  };
  try {
    const dataDir = join(scratch.path, 'coordinator');
    // The reconciliation example reads statement files from a `mktemp -d` folder.
    const coordinator = new CoordinatorProcess({
      dataDir,
      env: { ACCORD_RECONCILE_FILES: realpathSync(tmpdir()) },
    });
    cleanups.push(() => coordinator.kill9());
    await coordinator.start();

    const missing = new Map<DocsService, string | null>();
    const env: NodeJS.ProcessEnv = {
      PATH: `${accordShim(scratch.path, join(repoRoot, 'packages/server/dist/cli/main.js'))}:${process.env['PATH'] ?? ''}`,
      HOME: scratch.path,
      [DOCS_ENV.coordinatorUrl]: coordinator.url,
    };

    const pgSkip = await requireService('postgres');
    missing.set('postgres', pgSkip);
    if (pgSkip === null) {
      const schema = await createTempSchema('accord_docs');
      cleanups.push(() => schema.drop());
      env[DOCS_ENV.postgresUrl] = schema.url;
    }
    const rabbitSkip = await requireService('rabbitmq');
    missing.set('rabbitmq', rabbitSkip);
    if (rabbitSkip === null) env[DOCS_ENV.rabbitmqUrl] = SERVICES.rabbitmq.url;

    const xaUrl = process.env[XA_URL_VARIABLE];
    if (xaUrl) {
      const schema = await createXaSchema(xaUrl);
      cleanups.push(() => schema.drop());
      env[DOCS_ENV.xaPostgresUrl] = schema.url;
      missing.set('xa-postgres', null);
    } else {
      // Not a standard service: the shared PostgreSQL keeps max_prepared_transactions at 0,
      // and the docs test never changes a server's settings.
      missing.set(
        'xa-postgres',
        `needs a PostgreSQL that allows prepared transactions: set ${XA_URL_VARIABLE}`,
      );
    }

    const participantPorts: [number, number] = [await freePort(), await freePort()];
    const merchantPort = await freePort();
    env[DOCS_ENV.participantPorts] = participantPorts.join(',');
    env[DOCS_ENV.merchantPort] = String(merchantPort);

    const workDir = join(scratch.path, 'work');
    mkdirSync(workDir);
    return {
      addresses: { coordinatorUrl: coordinator.url, participantPorts, merchantPort },
      env,
      workDir,
      missing: (service) => missing.get(service) ?? null,
      coordinatorLog: () => readLogTail(join(dataDir, 'coordinator-1.log')),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
