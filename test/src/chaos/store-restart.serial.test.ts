/**
 * The store itself restarts while the bank transfer runs: a private PostgreSQL (stopped in
 * "immediate" mode, so it recovers from its WAL as after a crash) and a private Redis with
 * an append-only file, both started by this suite for itself. Afterwards every transaction
 * is terminal and the money is conserved. Runs alone: restarts stall the machine's disks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrivatePostgres, servicesRequired, tempDir, waitFor } from '@accord/testkit';
import type { BankWorld } from '../support/bank-world.js';
import { allSettled, checkInvariants, startWorld } from '../support/bank-world.js';
import { READY_TIMEOUT_MS } from '../support/coordinator-process.js';
import { PrivateRedis } from '../support/private-redis.js';
import { transferBurst } from './transfer-load.js';

const OPENING = 5_000;
const ENV = { ACCORD_PREPARED_TIMEOUT_MS: '3000' };

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
      timeoutMs: READY_TIMEOUT_MS,
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
  it(
    'PostgreSQL restarts (crash-style) mid-run: nothing is lost',
    { skip: skipReason(PrivatePostgres.unavailable()) },
    async () => {
      const postgres = await PrivatePostgres.start();
      try {
        const world = await startWorld({
          store: 'postgres',
          storeServer: postgres.url,
          openingBalance: OPENING,
          env: ENV,
        });
        try {
          await restartUnderLoad(world, 'postgres', async () => {
            await postgres.crash();
            await postgres.start();
          });
        } finally {
          await world.close();
        }
      } finally {
        await postgres.remove();
      }
    },
  );

  const redisSkip = PrivateRedis.available();
  it(
    'Redis (AOF, appendfsync always) is killed and restarted mid-run: nothing is lost',
    { skip: skipReason(redisSkip) },
    async () => {
      const dir = tempDir('accord-redis-');
      const redis = await PrivateRedis.start(dir.path);
      try {
        const world = await startWorld({
          store: 'redis',
          storeServer: redis.url,
          openingBalance: OPENING,
          env: ENV,
        });
        try {
          await restartUnderLoad(world, 'redis', () => redis.restart(1_000));
        } finally {
          await world.close();
        }
      } finally {
        await redis.kill();
        dir.remove();
      }
    },
  );
});
