/**
 * Several coordinator processes on one shared store: they share the work, a kill -9 of
 * one loses nothing, a transaction is never driven by two at once, and a paused owner
 * that wakes up after a takeover changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccordClient } from '@accord/client';
import { waitFor } from '@accord/testkit';
import type { BankWorld, WorldStore } from '../support/bank-world.js';
import {
  allSettled,
  balanceOf,
  checkInvariants,
  settled,
  startWorld,
  survivor,
} from '../support/bank-world.js';
import { requireWorldStore } from '../support/redis-cluster-world.js';
import { transferBurst } from './transfer-load.js';

const OPENING = 5_000;
const ENV = { ACCORD_PREPARED_TIMEOUT_MS: '2000' };

/** Transactions that lost a call's outcome with a dead owner and were driven on by another. */
async function takeovers(client: AccordClient): Promise<{ total: number; takenOver: number }> {
  let cursor: string | undefined;
  let total = 0;
  let takenOver = 0;
  do {
    const page = await client.list({ limit: 200, ...(cursor ? { cursor } : {}) });
    for (const item of page.items) {
      total += 1;
      const { transaction, history } = await client.query(item.gid);
      const lost = (transaction.branches ?? []).some(
        (b) =>
          b.attempts > history.filter((h) => h.branchId === b.branchId && h.op === b.op).length,
      );
      if (lost) takenOver += 1;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { total, takenOver };
}

async function leasesLost(world: BankWorld, replica: number): Promise<number> {
  const text = await (await fetch(`${world.coordinators[replica]!.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('accord_leases_lost_total'));
  return Number(line?.split(' ')[1] ?? 0);
}

const STORES = ['postgres', 'mariadb', 'redis', 'redis-cluster'] as const;
for (const store of STORES satisfies readonly WorldStore[]) {
  describe(`three replicas on ${store}`, async () => {
    const skip = await requireWorldStore(store);

    it(
      'share the load, survive a kill -9 of one, and never drive a transaction twice at once',
      { skip: skip ?? false },
      async () => {
        const world = await startWorld({ store, replicas: 3, openingBalance: OPENING, env: ENV });
        try {
          let started = 0;
          for (let round = 0; round < 3; round++) {
            const bursts = world.clients.map((client, i) => {
              started += 15;
              return transferBurst(world, 15, round * 100 + i * 15, client);
            });
            if (round === 1) {
              await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 300)));
              await world.coordinators[0]!.kill9();
            }
            await Promise.all(bursts);
          }
          await allSettled(world);
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
          const overlaps = [
            ...world.a.service.monitor.overlaps,
            ...world.b.service.monitor.overlaps,
          ];
          assert.deepEqual(overlaps, [], 'no op was called by two instances at once');
          const { total, takenOver } = await takeovers(survivor(world));
          console.log(
            `# ${store}: 3 replicas, ${started} transfers started, 1 kill -9, ${total} transactions stored, ${takenOver} taken over from the killed replica, 0 overlapping calls`,
          );
        } finally {
          await world.close();
        }
      },
    );

    it(
      'answers every request on any replica, whichever one drives the transaction',
      { skip: skip ?? false },
      async () => {
        const world = await startWorld({ store, replicas: 3, openingBalance: OPENING, env: ENV });
        try {
          const [r0, r1, r2] = world.clients;
          // A tcc started on one replica, registered on a second, submitted on a third.
          const tcc = await r0!.create({ mode: 'tcc', options: { timeoutMs: 30_000 } });
          const payload = { account: 'alice', amount: 9 };
          await r1!.registerBranch(tcc.gid, {
            branchId: 'withdraw',
            confirm: `${world.alice.url}/tcc/withdraw-confirm`,
            cancel: `${world.alice.url}/tcc/withdraw-cancel`,
            payload,
          });
          const tried = await fetch(`${world.alice.url}/tcc/withdraw-try`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'accord-gid': tcc.gid,
              'accord-branch': 'withdraw',
              'accord-op': 'try',
              'accord-mode': 'tcc',
            },
            body: JSON.stringify(payload),
          });
          assert.equal(tried.status, 200);
          const submitted = await r2!.submit(tcc.gid, { waitResult: true });
          assert.equal(submitted.status, 'succeeded');
          assert.equal((await r0!.query(tcc.gid)).transaction.status, 'succeeded');
          // A saga one replica is in the middle of driving is readable, and refuses a client abort, everywhere.
          world.b.service.faults.arm({
            route: '/saga/deposit',
            kind: 'delay',
            count: 1,
            delayMs: 1_000,
          });
          const saga = await r0!
            .saga()
            .step({
              id: 'w',
              action: `${world.alice.url}/saga/withdraw`,
              payload: { account: 'alice', amount: 4 },
            })
            .step({
              id: 'd',
              action: `${world.bob.url}/saga/deposit`,
              payload: { account: 'bob', amount: 4 },
            })
            .submit();
          await new Promise((r) => setTimeout(r, 200));
          const seen = await r1!.query(saga.gid);
          assert.equal(seen.transaction.status, 'submitted');
          await assert.rejects(
            r2!.abort(saga.gid),
            (e: unknown) => (e as { code?: string }).code === 'INVALID_STATE',
          );
          assert.equal((await settled(world, saga.gid)).status, 'succeeded');
          // The tcc above only withdrew 9 (it had no deposit branch).
          assert.deepEqual(await checkInvariants(world, 2 * OPENING - 9), []);
        } finally {
          await world.close();
        }
      },
    );

    it(
      'rejects the late writes of a paused owner after a takeover',
      { skip: skip ?? false },
      async () => {
        const world = await startWorld({ store, replicas: 2, openingBalance: OPENING, env: ENV });
        try {
          const [first] = world.coordinators;
          const bobBefore = (await balanceOf(world.b, 'bob')).balance;
          // The deposit answers slowly, so the first owner is mid-call when it freezes.
          world.b.service.faults.arm({
            route: '/saga/deposit',
            kind: 'delay',
            count: 1,
            delayMs: 2_500,
          });
          const tx = await world.accord
            .saga()
            .step({
              id: 'withdraw',
              action: `${world.alice.url}/saga/withdraw`,
              compensate: `${world.alice.url}/saga/withdraw-revert`,
              payload: { account: 'alice', amount: 10 },
            })
            .step({
              id: 'deposit',
              action: `${world.bob.url}/saga/deposit`,
              compensate: `${world.bob.url}/saga/deposit-revert`,
              payload: { account: 'bob', amount: 10 },
            })
            .submit();
          await new Promise((r) => setTimeout(r, 300));
          first!.pause();
          const done = await settled(world, tx.gid, 60_000);
          assert.equal(done.status, 'succeeded', 'the other replica took over and finished');
          const { history: before } = await survivor(world).query(tx.gid);
          first!.resume();
          await waitFor(async () => (await leasesLost(world, 0)) > 0, {
            timeoutMs: 60_000,
            what: 'the resumed owner to notice it lost the transaction',
          });
          await new Promise((r) => setTimeout(r, 500));
          const after = await survivor(world).query(tx.gid);
          assert.equal(after.transaction.status, 'succeeded');
          assert.deepEqual(after.history, before, 'the late owner wrote nothing');
          assert.equal((await balanceOf(world.b, 'bob')).balance, bobBefore + 10, 'deposited once');
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
        } finally {
          world.coordinators[0]?.resume();
          await world.close();
        }
      },
    );
  });
}
