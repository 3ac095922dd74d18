/**
 * kill -9 of a real coordinator at each named crash point, then restart: every
 * transaction still ends right, money is conserved, no effect is applied twice. Run on
 * SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireService } from '@accord/testkit';
import type { BankWorld } from '../support/bank-world.js';
import { allSettled, checkInvariants, startWorld } from '../support/bank-world.js';
import { transferBurst } from './transfer-load.js';

const POINTS = ['after-create@3', 'after-branch-call@5', 'before-final-status@4'] as const;
const OPENING = 1_000;
const CHAOS_ENV = { ACCORD_PREPARED_TIMEOUT_MS: '2000' };

for (const store of ['sqlite', 'postgres'] as const) {
  describe(`crash points on ${store}`, async () => {
    const skip = store === 'postgres' ? await requireService('postgres') : null;
    for (const point of POINTS) {
      it(`recovers after a kill at ${point}`, { skip: skip ?? false }, async () => {
        const world: BankWorld = await startWorld({
          store,
          openingBalance: OPENING,
          env: CHAOS_ENV,
        });
        try {
          await world.coordinator.stop();
          await world.coordinator.start({ ACCORD_CRASH_POINTS: point });
          const burst = transferBurst(world, 12);
          const signal = await world.coordinator.waitForExit();
          assert.equal(signal, 'SIGKILL', 'the crash point fired');
          await world.coordinator.start();
          await burst;
          await allSettled(world);
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
          const page = await world.accord.list({ limit: 500 });
          assert.ok(page.items.length > 0);
          for (const tx of page.items) {
            assert.ok(
              tx.status === 'succeeded' || tx.status === 'failed',
              `${tx.gid} ended ${tx.status}`,
            );
          }
        } finally {
          await world.close();
        }
      });
    }

    it(
      'keeps its promises through random kill -9 under concurrent load',
      { skip: skip ?? false },
      async () => {
        const world = await startWorld({ store, openingBalance: OPENING, env: CHAOS_ENV });
        const kills = 6;
        let started = 0;
        try {
          for (let round = 0; round < kills; round++) {
            const burst = transferBurst(world, 20, round * 20);
            started += 20;
            await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 400)));
            await world.coordinator.kill9();
            await burst;
            await world.coordinator.start();
          }
          await allSettled(world);
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
          const page = await world.accord.list({ limit: 500 });
          const statuses = new Map<string, number>();
          for (const tx of page.items) {
            const reason = (tx.reason ?? '').replace(/[0-9a-f-]{6,}|\d+/g, 'N').slice(0, 70);
            const key = tx.status === 'failed' ? `failed (${reason})` : tx.status;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
          }
          console.log(
            `# ${store}: ${kills} kills, ${started} transfers started, ${page.items.length} transactions stored: ${JSON.stringify(Object.fromEntries(statuses))}`,
          );
          assert.ok(page.items.every((tx) => tx.status === 'succeeded' || tx.status === 'failed'));
        } finally {
          await world.close();
        }
      },
    );
  });
}
