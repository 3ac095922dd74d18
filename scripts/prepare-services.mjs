#!/usr/bin/env node
// Makes the local services ready for the test suites; safe to run any number of times.
//
// PostgreSQL: the XA suites need PREPARE TRANSACTION, which is disabled while
// max_prepared_transactions is 0 (the default). When it is, this sets it to 64 with
// ALTER SYSTEM and restarts the cluster (the setting only takes effect at server start),
// then checks the new value. An unreachable server is not an error here: the suites skip
// or fail on their own (ACCORD_REQUIRE_SERVICES=1).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import pg from 'pg';

const PG_URL = process.env.ACCORD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WANTED_PREPARED = 64;
const RESTART_WAIT_MS = 60_000;
const TAG = 'prepare-services:';

/** The URL without its password, for messages. */
function redacted(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function messageOf(error) {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** Runs `fn` with a connected client, or returns `undefined` when none can be made. */
async function withClient(fn) {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    return { ok: false, error };
  }
  try {
    return { ok: true, value: await fn(client) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function showSetting(client, name) {
  const { rows } = await client.query(`SHOW ${name}`);
  return String(Object.values(rows[0] ?? {})[0] ?? '');
}

/**
 * The Debian cluster (version, name) serving this connection: the `pg_lsclusters` line
 * whose data directory matches, else the guess `<major>/main` from /etc/postgresql.
 */
function findCluster(dataDirectory, port, major) {
  const listed = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  if (listed.status === 0) {
    for (const line of listed.stdout.split('\n')) {
      const [version, name, clusterPort, , , dir] = line.trim().split(/\s+/);
      if (version && name && (dir === dataDirectory || clusterPort === port)) {
        return { version, name };
      }
    }
  }
  try {
    const versions = readdirSync('/etc/postgresql');
    const version = versions.includes(major) ? major : versions.length === 1 ? versions[0] : '';
    if (version) return { version, name: 'main' };
  } catch {
    // not a Debian layout
  }
  return undefined;
}

function isLocal(url) {
  try {
    const host = new URL(url).hostname;
    return ['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host);
  } catch {
    return false;
  }
}

async function waitForServer() {
  const deadline = Date.now() + RESTART_WAIT_MS;
  for (;;) {
    const probe = await withClient((c) => showSetting(c, 'max_prepared_transactions'));
    if (probe.ok) return probe.value;
    if (Date.now() > deadline) throw probe.error;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function preparePostgres() {
  const where = redacted(PG_URL);
  const found = await withClient(async (client) => ({
    prepared: Number(await showSetting(client, 'max_prepared_transactions')),
    dataDirectory: await showSetting(client, 'data_directory').catch(() => ''),
    port: await showSetting(client, 'port'),
    major: (await showSetting(client, 'server_version')).split('.')[0] ?? '',
  }));
  if (!found.ok) {
    console.log(`${TAG} PostgreSQL not reachable at ${where} (${messageOf(found.error)}); skipped`);
    return 0;
  }
  const { prepared, dataDirectory, port, major } = found.value;
  if (prepared > 0) {
    console.log(`${TAG} PostgreSQL ready (max_prepared_transactions = ${prepared})`);
    return 0;
  }

  const altered = await withClient((client) =>
    client.query(`ALTER SYSTEM SET max_prepared_transactions = ${WANTED_PREPARED}`),
  );
  if (!altered.ok) {
    console.error(
      `${TAG} PostgreSQL at ${where} has max_prepared_transactions = 0 and ALTER SYSTEM failed ` +
        `(${messageOf(altered.error)}). As a superuser run ` +
        `"ALTER SYSTEM SET max_prepared_transactions = ${WANTED_PREPARED};" then restart PostgreSQL.`,
    );
    return 0;
  }

  const cluster = findCluster(dataDirectory, port, major);
  const command = cluster
    ? `pg_ctlcluster --skip-systemctl-redirect ${cluster.version} ${cluster.name} restart`
    : undefined;
  const canRestart = command !== undefined && isLocal(PG_URL) && process.getuid?.() === 0;
  if (!canRestart) {
    console.error(
      `${TAG} set max_prepared_transactions = ${WANTED_PREPARED} on ${where}; it takes effect ` +
        `after a restart of PostgreSQL, which this script cannot do here. Run ` +
        `${command ? `"sudo ${command}"` : 'your platform\'s PostgreSQL restart (e.g. "sudo systemctl restart postgresql")'}.`,
    );
    return 0;
  }

  const [bin, ...args] = command.split(' ');
  const restart = spawnSync(bin, args, { encoding: 'utf8' });
  if (restart.status !== 0) {
    console.error(
      `${TAG} "${command}" failed (exit ${restart.status ?? restart.signal}): ` +
        `${(restart.stderr || restart.stdout || messageOf(restart.error)).trim()}. ` +
        `max_prepared_transactions is set; restart PostgreSQL by hand.`,
    );
    return 1;
  }
  let now;
  try {
    now = Number(await waitForServer());
  } catch (error) {
    console.error(`${TAG} PostgreSQL did not come back after "${command}": ${messageOf(error)}`);
    return 1;
  }
  if (!(now > 0)) {
    console.error(`${TAG} restarted PostgreSQL but max_prepared_transactions is still ${now}`);
    return 1;
  }
  console.log(`${TAG} PostgreSQL restarted with max_prepared_transactions = ${now}`);
  return 0;
}

process.exitCode = await preparePostgres();
