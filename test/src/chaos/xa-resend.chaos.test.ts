/**
 * XA transfers whose clients re-send local-work calls while the first call is still
 * running (the work waits on rows that other transfers' prepared branches hold), and
 * sometimes once more after the decision, while the coordinator is killed with -9 every
 * second or two. Every transfer debits an account on PostgreSQL and credits one on
 * MariaDB. At the end: each transaction's work is in both databases exactly once if it
 * succeeded and nowhere if it failed, money is conserved, and nothing is left prepared,
 * without any recovery job.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccordClient } from '@accord/client';
import { uniqueName, waitFor } from '@accord/testkit';
import {
  callLocal,
  settled,
  startXaWorld,
  xaSkip,
  type XaCoordinator,
  type XaWorld,
} from '../support/xa-world.js';
import type { XaParticipantService } from '../support/xa-participant.js';
import type { Move } from '../support/xa-ledger.js';

const skip = await xaSkip();
const ACCOUNTS = 4;
const OPENING = 1000;
/** Transfers at least; more run until the coordinator has been killed {@link KILLS} times. */
const TRANSFERS = 36;
const KILLS = 3;
/** A bound on the run, whatever the machine's speed. */
const MAX_TRANSFERS = 600;
const CONCURRENCY = 6;
/** How long a client waits for a local-work answer before it sends the call again. */
const RESEND_AFTER_MS = 150;

/** What happened to the calls, for the closing report. */
interface Tally {
  resent: number;
  duplicates: number;
  late: number;
  coordinatorErrors: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries a coordinator call until the coordinator answers (it may be dead for a while),
 * for at most a minute.
 */
async function persist<T>(tally: Tally, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'COORDINATOR_ERROR' || Date.now() > deadline) throw error;
      tally.coordinatorErrors += 1;
      await sleep(50);
    }
  }
}

/**
 * Calls the local-work route, and calls it again if no answer came within
 * {@link RESEND_AFTER_MS} (or at once, `impatient`: a client that sends twice); waits for
 * both. Success if any call succeeded.
 */
async function resendingLocal(
  participant: XaParticipantService,
  gid: string,
  branchId: string,
  move: Move,
  tally: Tally,
  impatient: boolean,
): Promise<'ok' | 'refused'> {
  const first = callLocal(participant, gid, branchId, move);
  const wait = impatient ? Promise.resolve(undefined) : sleep(RESEND_AFTER_MS);
  const early = await Promise.race([first, wait.then(() => undefined)]);
  const statuses =
    early === undefined
      ? await Promise.all([
          first,
          ((tally.resent += 1), callLocal(participant, gid, branchId, move)),
        ])
      : [early];
  if (statuses.length === 2 && statuses.every((s) => s === 200)) tally.duplicates += 1;
  if (statuses.some((s) => s === 200)) return 'ok';
  return 'refused';
}

let current: XaWorld | undefined;
function world(): XaWorld {
  assert.ok(current, 'world not started');
  return current;
}

describe('xa: re-sent local work under kill -9 of the coordinator', { skip: skip ?? false }, () => {
  before(async () => {
    current = await startXaWorld();
  });
  after(async () => {
    await current?.close();
  });

  for (const store of ['sqlite', 'postgres'] as const) {
    it(`applies each transfer once or not at all, conserves money, leaves nothing prepared (${store} store)`, async () => {
      const w = world();
      const tag = uniqueName('xs');
      const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `${tag}-acct${i}`);
      await w.open(accounts, OPENING);
      const coordinator: XaCoordinator = await w.startCoordinator({ store });
      const child = coordinator.process;
      // The client must survive the coordinator's restarts: short timeouts, no retries
      // of its own (persist() retries).
      const accord = new AccordClient({ url: child.url, timeoutMs: 2000, signingSecret: w.secret });
      const tally: Tally = { resent: 0, duplicates: 0, late: 0, coordinatorErrors: 0 };
      let kills = 0;
      let clientsDone = false;

      const killer = (async () => {
        while (!clientsDone) {
          await sleep(500 + Math.random() * 1000);
          if (clientsDone) break;
          await child.kill9();
          kills += 1;
          await sleep(100 + Math.random() * 200);
          await child.start();
        }
      })();

      const gids: string[] = [];
      const transfer = async (i: number): Promise<void> => {
        const gid = `${tag}-t${i}`;
        gids.push(gid);
        const from = accounts[i % ACCOUNTS] ?? '';
        const to = accounts[(i + 1) % ACCOUNTS] ?? '';
        // Every sixth credit is refused (it would overdraw), so that transfer aborts.
        const amount = 10 + (i % 7);
        const credit = i % 6 === 5 ? -(OPENING * 10) : amount;
        await persist(tally, () =>
          accord.create({ gid, mode: 'xa', options: { timeoutMs: 120_000 } }),
        );
        const branches = [
          { participant: w.pg, branchId: '01', move: { account: from, amount: -amount } },
          { participant: w.maria, branchId: '02', move: { account: to, amount: credit } },
        ];
        let refused = false;
        for (const b of branches) {
          const url = b.participant.phaseTwoUrl;
          await persist(tally, () =>
            accord.registerBranch(gid, { branchId: b.branchId, commit: url, rollback: url }),
          );
          // Every fourth client sends each call twice at once; the others only when slow.
          const impatient = i % 4 === 1;
          const answer = await resendingLocal(
            b.participant,
            gid,
            b.branchId,
            b.move,
            tally,
            impatient,
          );
          if (answer === 'refused') {
            refused = true;
            break;
          }
        }
        if (refused) await persist(tally, () => accord.abort(gid, { reason: 'refused' }));
        else await persist(tally, () => accord.submit(gid));
        // Sometimes a call from before the decision arrives after it: it must not apply.
        if (i % 3 === 0) {
          const first = branches[0];
          assert.ok(first);
          tally.late += 1;
          const status = await callLocal(first.participant, gid, first.branchId, first.move);
          assert.ok(
            status === 200 || status === 409 || status === 425,
            `late call of ${gid} answered ${status}`,
          );
        }
      };

      try {
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while ((next < TRANSFERS || kills < KILLS) && next < MAX_TRANSFERS) {
              await transfer(next++);
            }
          }),
        );
        clientsDone = true;
        await killer;
        if (!child.running) await child.start();

        const statuses: Record<string, number> = {};
        for (const gid of gids) {
          const tx = await settled(accord, gid, 60_000);
          statuses[tx.status] = (statuses[tx.status] ?? 0) + 1;
          const expected = tx.status === 'succeeded' ? 1 : 0;
          assert.equal(await w.pg.ledger.moves(gid), expected, `postgres moves of ${gid}`);
          assert.equal(await w.maria.ledger.moves(gid), expected, `mariadb moves of ${gid}`);
        }
        await waitFor(async () => (await w.prepared()).every((p) => !p.includes(tag)), {
          timeoutMs: 20_000,
          what: 'every branch of this run to be finished',
        });
        let pgTotal = 0;
        let mariaTotal = 0;
        for (const account of accounts) {
          pgTotal += (await w.pg.ledger.balance(account)) ?? 0;
          mariaTotal += (await w.maria.ledger.balance(account)) ?? 0;
        }
        assert.equal(pgTotal + mariaTotal, 2 * ACCOUNTS * OPENING, 'money is conserved');
        assert.ok(kills >= KILLS, `the coordinator was killed ${kills} times`);
        assert.ok(tally.resent >= 1, 'some local-work calls were sent again while running');
        console.log(
          `xa re-send chaos (${store} store): ${gids.length} transfers ${JSON.stringify(statuses)}, ${kills} kills, ` +
            `${tally.resent} calls re-sent while the first ran (${tally.duplicates} answered ` +
            `twice with success), ${tally.late} late calls after the decision, ` +
            `${tally.coordinatorErrors} coordinator calls retried; balances postgres ${pgTotal} + ` +
            `mariadb ${mariaTotal} = ${pgTotal + mariaTotal}`,
        );
      } finally {
        clientsDone = true;
        await killer.catch(() => undefined);
        await accord.close();
        await coordinator.close();
      }
    });
  }
});
