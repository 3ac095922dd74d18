/**
 * Several coordinator processes on one shared store: they share the work, a kill -9 of
 * one loses nothing, and the guarantee of docs/operations.md holds: a call to a
 * transaction is never open at two replicas at once unless one stalled for longer than
 * the lease margin; a replica paused past its lease abandons its open call when it wakes
 * up, starts no other, and its late writes change nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccordClient } from '@accord/client';
import type { OpenRequest } from '@accord/example-bank-transfer';
import { waitFor } from '@accord/testkit';
import type { BankWorld, WorldStore } from '../support/bank-world.js';
import {
  allSettled,
  balanceOf,
  checkInvariants,
  settled,
  startWorld,
  survivor,
  tryHeaders,
} from '../support/bank-world.js';
import { requireWorldStore } from '../support/redis-cluster-world.js';
import { transferBurst } from './transfer-load.js';

const OPENING = 5_000;
const LEASE_MS = 1_500;
/** The lease margin: a fifth of the lease (see lease-calls.ts in the server). */
const MARGIN_MS = LEASE_MS / 5;
const ENV = { ACCORD_PREPARED_TIMEOUT_MS: '2000', ACCORD_LEASE_MS: String(LEASE_MS) };
/** How long the participant holds the first deposit call of the pause test. */
const DEPOSIT_DELAY_MS = 6_000;

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

async function metric(world: BankWorld, replica: number, name: RegExp): Promise<number> {
  const text = await (await fetch(`${world.coordinators[replica]!.url}/metrics`)).text();
  const line = text.split('\n').find((l) => name.test(l.split(' ')[0] ?? ''));
  return Number(line?.split(' ')[1] ?? 0);
}

function leasesLost(world: BankWorld, replica: number): Promise<number> {
  return metric(world, replica, /^accord_leases_lost_total$/);
}

/** The longest event-loop stall of a replica, ms, since the last time it was asked. */
async function longestStallMs(world: BankWorld, replica: number): Promise<number> {
  return 1000 * (await metric(world, replica, /nodejs_eventloop_lag_max_seconds$/));
}

/** Requests of one op open at the participants at the same moment. */
function openOverlaps(world: BankWorld): string[] {
  return [...world.a.service.monitor.openOverlaps, ...world.b.service.monitor.openOverlaps];
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
        const stalls: number[] = [];
        try {
          // Asking resets each replica's stall gauge: start-up stalls (no lease held) do not count.
          for (const replica of [0, 1, 2]) await longestStallMs(world, replica);
          let started = 0;
          for (let round = 0; round < 3; round++) {
            const bursts = world.clients.map((client, i) => {
              started += 15;
              return transferBurst(world, 15, round * 100 + i * 15, client);
            });
            if (round === 1) {
              await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 300)));
              stalls.push(await longestStallMs(world, 0));
              await world.coordinators[0]!.kill9();
            }
            await Promise.all(bursts);
          }
          await allSettled(world);
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
          for (const replica of [1, 2]) stalls.push(await longestStallMs(world, replica));
          const longest = Math.max(...stalls);
          const overlapping = openOverlaps(world);
          // The guarantee holds unconditionally only while no replica stalls past the margin
          // (a heavily loaded machine can starve one); then overlaps are allowed, and shown.
          if (longest <= MARGIN_MS) {
            assert.deepEqual(overlapping, [], 'no op had a call open at two replicas at once');
          }
          const handlerOverlaps =
            world.a.service.monitor.overlaps.length + world.b.service.monitor.overlaps.length;
          const { total, takenOver } = await takeovers(survivor(world));
          console.log(
            `# ${store}: 3 replicas, ${started} transfers started, 1 kill -9, ${total} transactions stored, ${takenOver} taken over from the killed replica, ${overlapping.length} overlapping open calls (longest stall ${Math.round(longest)} ms, margin ${MARGIN_MS} ms), ${handlerOverlaps} overlapping handler runs`,
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
            headers: tryHeaders(world, tcc.gid, 'withdraw', JSON.stringify(payload)),
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
      'abandons the call of an owner paused past its lease, and rejects its late writes',
      { skip: skip ?? false },
      async () => {
        const world = await startWorld({ store, replicas: 2, openingBalance: OPENING, env: ENV });
        try {
          const [first] = world.coordinators;
          const monitor = world.b.service.monitor;
          const bobBefore = (await balanceOf(world.b, 'bob')).balance;
          // The deposit answers long after the lease, and the call's own timeout is longer
          // still: only the lease can end the first owner's call early.
          world.b.service.faults.arm({
            route: '/saga/deposit',
            kind: 'delay',
            count: 1,
            delayMs: DEPOSIT_DELAY_MS,
          });
          const tx = await world.accord
            .saga({ options: { requestTimeoutMs: 30_000 } })
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
          const deposit = `${tx.gid}/deposit/action`;
          await waitFor(() => monitor.requests.some((r) => r.key === deposit), {
            what: 'the first owner to call the deposit',
          });
          first!.pause();
          const pausedAt = Date.now();
          const done = await settled(world, tx.gid, 60_000);
          assert.equal(done.status, 'succeeded', 'the other replica took over and finished');
          const { history: before } = await survivor(world).query(tx.gid);
          // A stall of at least twice the lease.
          await new Promise((r) =>
            setTimeout(r, Math.max(0, pausedAt + 2 * LEASE_MS - Date.now())),
          );
          first!.resume();
          const resumedAt = Date.now();
          await waitFor(async () => (await leasesLost(world, 0)) > 0, {
            timeoutMs: 60_000,
            what: 'the resumed owner to notice it lost the transaction',
          });

          const calls = monitor.requests.filter((r) => r.key === deposit);
          assert.equal(calls.length, 2, 'the deposit was called by each replica once');
          const [stale, fresh] = calls as [OpenRequest, OpenRequest];
          assert.ok(stale.from < pausedAt && fresh.from > pausedAt);
          // Open at two replicas at once: that op only, and only across the stall.
          assert.deepEqual(openOverlaps(world), [deposit]);
          // The paused owner abandoned its call as soon as it ran again, long before the
          // participant would have answered it.
          await waitFor(() => stale.to !== null, {
            timeoutMs: 5_000,
            what: 'the stale call to end',
          });
          const abandonedAfter = stale.to! - resumedAt;
          assert.ok(
            abandonedAfter < 1_000 && stale.to! < stale.from + DEPOSIT_DELAY_MS,
            `the stale call ended ${abandonedAfter} ms after the owner resumed`,
          );
          // It started no call after waking up.
          const late = [...world.a.service.monitor.requests, ...monitor.requests].filter(
            (r) => r.key.startsWith(`${tx.gid}/`) && r.from >= resumedAt,
          );
          assert.deepEqual(late, [], 'no call after the owner resumed');

          // The participant still runs the abandoned request when its delay ends (an abort
          // cannot unsend it); the barrier absorbs that duplicate.
          await new Promise((r) =>
            setTimeout(r, Math.max(0, stale.from + DEPOSIT_DELAY_MS + 500 - Date.now())),
          );
          const after = await survivor(world).query(tx.gid);
          assert.equal(after.transaction.status, 'succeeded');
          assert.deepEqual(after.history, before, 'the late owner wrote nothing');
          assert.equal((await balanceOf(world.b, 'bob')).balance, bobBefore + 10, 'deposited once');
          assert.deepEqual(await checkInvariants(world, 2 * OPENING), []);
          console.log(
            `# ${store}: owner paused ${resumedAt - pausedAt} ms (lease ${LEASE_MS} ms); its open call ended ${abandonedAfter} ms after it resumed`,
          );
        } finally {
          world.coordinators[0]?.resume();
          await world.close();
        }
      },
    );
  });
}
