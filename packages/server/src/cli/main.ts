#!/usr/bin/env node
/**
 * The `accord` command: `accord serve` runs the coordinator; `accord migrate [--print]`
 * applies (or prints) the store schema; `accord tx …`, `accord bulk …` and
 * `accord whoami` talk to a running coordinator. Each command imports what it needs
 * when it runs, so start-up stays light.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { ApiError } from './coordinator-api.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage:
  accord serve [--host H] [--port P] [--data-dir D] [--store URL]
  accord migrate [--print] [--store URL] [--data-dir D]
  accord tx list [FILTERS] [--limit N] [--cursor C] [--json]
  accord tx show <gid> [--json]
  accord tx retry <gid> [--reason "…"]
  accord tx resolve <gid> --status succeeded|failed --reason "…"
  accord participants list|pause|resume …   (accord participants help)
  accord notify list|show …                 (accord notify help)
  accord tx pause <gid> --reason "…"
  accord tx resume <gid> --reason "…"
  accord tx abort <gid> [--reason "…"]
  accord bulk retry|pause|resume [FILTERS] --reason "…" [--limit N] [--yes] [--json]
  accord bulk resolve [FILTERS] --to succeeded|failed --reason "…" [--limit N] [--yes]
  accord whoami [--json]
  accord --version

FILTERS: --status S --mode M --parked --paused --stuck --gid-prefix P --label k=v
  (repeatable) --since T --until T, where T is an ISO time or a duration ago (90s, 15m,
  1h, 2d). bulk counts the matches and changes nothing unless --yes is given.

Environment: ACCORD_HOST, ACCORD_PORT, ACCORD_DATA_DIR, ACCORD_STORE, ACCORD_TOKEN, … (see docs/config.md).
tx, bulk and whoami talk to ACCORD_URL (default http://127.0.0.1:7070) with ACCORD_ADMIN_TOKEN or ACCORD_TOKEN.`;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      store: { type: 'string' },
    },
  });
  const config = loadConfig({
    host: values.host,
    port: values.port,
    dataDir: values['data-dir'],
    store: values.store,
  });
  // Each command loads only what it uses: `tx` never loads the server, `serve` never
  // loads the client SDK.
  const { startServer } = await import('../server.js');
  // The signal handlers come first: a SIGTERM that arrives while the server starts, or
  // just after it logged that it listens, still shuts it down gracefully.
  let signalled: string | null = null;
  let shutdown: ((signal: string) => void) | null = null;
  const onSignal = (signal: string) => {
    if (signalled !== null) return;
    signalled = signal;
    shutdown?.(signal);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const server = await startServer(config);
  shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  if (signalled !== null) shutdown(signalled);
}

/** The version of this package, from its package.json. */
function version(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'migrate':
      return (await import('./migrate-command.js')).runMigrateCommand(rest);
    case 'tx':
      return (await import('./tx-command.js')).runTxCommand(rest);
    case 'participants':
      return (await import('./participants-command.js')).runParticipantsCommand(rest);
    case 'notify':
      return (await import('./notify-command.js')).runNotifyCommand(rest);
    case 'bulk':
      return (await import('./bulk-command.js')).runBulkCommand(rest);
    case 'whoami':
      return (await import('./whoami-command.js')).runWhoamiCommand(rest);
    case '--version':
    case '-v':
    case 'version':
      console.log(version());
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`accord: invalid configuration: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof UsageError) {
    console.error(`accord: ${error.message}\n(accord --help lists the commands and flags)`);
    process.exit(2);
  }
  if (error instanceof ApiError) {
    console.error(`accord: ${error.describe()}`);
    process.exit(1);
  }
  console.error('accord:', error instanceof Error ? error.message : error);
  process.exit(1);
});
