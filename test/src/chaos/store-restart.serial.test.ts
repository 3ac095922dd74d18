/**
 * The store itself restarts while the bank transfer runs: PostgreSQL (the shared server,
 * stopped in "immediate" mode, so it recovers from its WAL as after a crash) and a
 * private Redis with an append-only file. Afterwards every transaction is terminal and
 * the money is conserved. Runs alone: it restarts a server other suites use.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { requireService, servicesRequired, tempDir, waitFor } from '@accord/testkit';
import type { BankWorld } from '../support/bank-world.js';
import { allSettled, checkInvariants, startWorld } from '../support/bank-world.js';
import { PrivateRedis } from '../support/private-redis.js';
import { transferBurst } from './transfer-load.js';

const OPENING = 5_000;
const ENV = { ACCORD_PREPARED_TIMEOUT_MS: '3000' };

/** How this machine restarts its PostgreSQL, or why it cannot. */
function postgresRestarter(): { restart(): void } | string {
  if (process.getuid?.() !== 0) return 'restarting PostgreSQL needs root (pg_ctlcluster)';
  let versions: string[] = [];
  try {
    versions = readdirSync('/etc/postgresql');
  } catch {
    return 'no /etc/postgresql: pg_ctlcluster is not how this PostgreSQL runs';
  }
  const version = versions[0];
  if (!version) return 'no PostgreSQL cluster under /etc/postgresql';
  return {
    restart() {
      const r = spawnSync(
        'pg_ctlcluster',
        ['--skip-systemctl-redirect', '-m', 'immediate', version, 'main', 'restart'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      if (r.status !== 0) throw new Error(`pg_ctlcluster restart failed: ${r.stderr || r.stdout}`);
    },
  };
}

/**
 * Keeps transfers running, restarts the store in the middle, waits for the coordinator to
 * see it again, lets the load run a little longer, then checks every transaction ended and
 * the money is conserved.
 */
async function restartUnderLoad(
  world: BankWorld,
  name: string,
  restart: () => Promise<void>,
): Promise<void> {
  let running = true;
  let started = 0;
  const load = (async () => {
    while (running) {
      await transferBurst(world, 10, started);
      started += 10;
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 1_500));
    await restart();
    await waitFor(async () => (await fetch(`${world.coordinator.url}/readyz`)).ok, {
      timeoutMs: 30_000,
      what: `the coordinator to see ${name} again`,
    });
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    running = false;
    await load;
  }
  await allSettled(world, 90_000);
  assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
  const items = (await world.accord.list({ limit: 500 })).items;
  console.log(
    `# ${name} restart: ${started} transfers started, ${items.length} transactions, all terminal, balances conserved`,
  );
}

function skipReason(reason: string | null): string | false {
  if (reason && servicesRequired()) throw new Error(`ACCORD_REQUIRE_SERVICES=1 but ${reason}`);
  return reason ?? false;
}

describe('store restart under load', async () => {
  const pgSkip = await requireService('postgres');
  const restarter = postgresRestarter();

  it(
    'PostgreSQL restarts (crash-style) mid-run: nothing is lost',
    { skip: skipReason(pgSkip ?? (typeof restarter === 'string' ? restarter : null)) },
    async () => {
      if (typeof restarter === 'string') return;
      const world = await startWorld({ store: 'postgres', openingBalance: OPENING, env: ENV });
      try {
        await restartUnderLoad(world, 'postgres', async () => restarter.restart());
      } finally {
        await world.close();
      }
    },
  );

  const redisSkip = (await requireService('redis')) ?? PrivateRedis.available();
  it(
    'Redis (AOF, appendfsync always) is killed and restarted mid-run: nothing is lost',
    { skip: skipReason(redisSkip) },
    async () => {
      const dir = tempDir('accord-redis-');
      const redis = await PrivateRedis.start(dir.path);
      const world = await startWorld({
        store: 'redis',
        openingBalance: OPENING,
        env: ENV,
        storeUrl: (url) => url.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${redis.port}`),
      });
      try {
        await restartUnderLoad(world, 'redis', () => redis.restart(1_000));
      } finally {
        await world.close();
        await redis.kill();
        dir.remove();
      }
    },
  );
});
