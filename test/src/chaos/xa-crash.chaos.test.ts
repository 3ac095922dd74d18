/**
 * XA under kill -9 of the coordinator between and around the two phases, on SQLite and
 * PostgreSQL stores: after a restart every transaction ends as its client decided, each
 * committed one's work is in both databases exactly once, each aborted one's nowhere,
 * and nothing stays prepared. Also: a local-work call that comes after its transaction
 * was rolled back is refused, and the participants' recovery job finishes orphans (a gid
 * the coordinator never heard of) and leaves a transaction still open alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BusinessFailure, type AccordClient } from '@accord/client';
import {
  coordinatorDecider,
  startRecovery,
  type RecoveryReport,
  type RecoveryRunner,
} from '@accord/client/xa';
import { uniqueName, waitFor } from '@accord/testkit';
import {
  branchOn,
  callLocal,
  ofGid,
  settled,
  startXaWorld,
  xaSkip,
  type XaWorld,
} from '../support/xa-world.js';

const skip = await xaSkip();
const POINTS = ['after-decision@1', 'after-branch-call@1', 'before-final-status@1'] as const;
const OPENING = 100;
/** Transactions per run; even ones are submitted, odd ones refused by MariaDB and aborted. */
const PER_RUN = 6;
const AMOUNT = 10;

interface Plan {
  readonly gid: string;
  /** The account (same id in both databases). */
  readonly account: string;
  readonly commit: boolean;
}

/** Runs the plans through the SDK up to the decision, holding every decision until `go`. */
function prepareAll(accord: AccordClient, plans: readonly Plan[], go: Promise<void>) {
  let ready = 0;
  const runs = plans.map((plan) =>
    accord
      .xa(
        async (xa) => {
          await xa.branch(branchOn(world().pg, { account: plan.account, amount: -AMOUNT }));
          const amount = plan.commit ? AMOUNT : -(OPENING + 1);
          try {
            await xa.branch(branchOn(world().maria, { account: plan.account, amount }));
          } finally {
            ready += 1;
            await go;
          }
        },
        { gid: plan.gid, options: { timeoutMs: 60_000 } },
      )
      .then(
        () => 'submitted' as const,
        (error: unknown) => error,
      ),
  );
  return { runs, ready: () => ready };
}

let current: XaWorld | undefined;
function world(): XaWorld {
  assert.ok(current, 'world not started');
  return current;
}

describe('xa: kill -9 of the coordinator', { skip: skip ?? false }, () => {
  before(async () => {
    current = await startXaWorld();
  });
  after(async () => {
    if (!current) return;
    const left = await world()
      .prepared()
      .catch(() => []);
    await world().close();
    assert.deepEqual(left, [], 'no prepared branch is left behind');
  });

  for (const store of ['sqlite', 'postgres'] as const) {
    describe(`on ${store}`, () => {
      for (const point of POINTS) {
        it(`ends every transaction as decided after a kill at ${point}`, async () => {
          const w = world();
          const tag = uniqueName('xc');
          const plans: Plan[] = Array.from({ length: PER_RUN }, (_, i) => ({
            gid: `${tag}-${i}`,
            account: `${tag}-a${i}`,
            commit: i % 2 === 0,
          }));
          await w.open(
            plans.map((p) => p.account),
            OPENING,
          );
          const coordinator = await w.startCoordinator({ store, crashPoints: point });
          const { accord, process: child } = coordinator;
          const t0 = Date.now();
          let go!: () => void;
          const gate = new Promise<void>((resolve) => (go = resolve));
          try {
            const { runs, ready } = prepareAll(accord, plans, gate);
            await waitFor(() => ready() === plans.length, {
              timeoutMs: 15_000,
              what: 'every transaction to reach its decision',
            });
            // Before any decision: both branches of each submitted one, the PostgreSQL
            // branch of each refused one (MariaDB rolled its refused work back at once).
            const expected = plans
              .flatMap((p) => [
                `postgres:${p.gid}/01`,
                ...(p.commit ? [`mariadb:${p.gid}/02`] : []),
              ])
              .sort();
            assert.deepEqual(
              (await w.prepared()).filter((x) => x.includes(tag)),
              expected,
            );
            const phaseTwoBefore = phaseTwoCount(w, tag);
            go();
            const signal = await child.waitForExit();
            assert.equal(signal, 'SIGKILL', `the crash point ${point} fired`);
            const phaseTwoAtCrash = phaseTwoCount(w, tag);
            const clientSaw = await Promise.all(runs);
            const tKill = Date.now();

            await child.start();
            const afterRestart = await statusCounts(accord, plans);
            // The client repeats any decision the dead coordinator may not have taken.
            for (const plan of plans) {
              if (plan.commit) await accord.submit(plan.gid);
              else await accord.abort(plan.gid, { reason: 'refused' });
            }
            for (const plan of plans) {
              const tx = await settled(accord, plan.gid, 20_000);
              assert.equal(tx.status, plan.commit ? 'succeeded' : 'failed', plan.gid);
            }
            const tDone = Date.now();

            for (const plan of plans) {
              const expectedMoves = plan.commit ? 1 : 0;
              assert.equal(await w.pg.ledger.moves(plan.gid), expectedMoves, `pg ${plan.gid}`);
              assert.equal(
                await w.maria.ledger.moves(plan.gid),
                expectedMoves,
                `maria ${plan.gid}`,
              );
              const delta = plan.commit ? AMOUNT : 0;
              assert.equal(await w.pg.ledger.balance(plan.account), OPENING - delta);
              assert.equal(await w.maria.ledger.balance(plan.account), OPENING + delta);
            }
            assert.deepEqual(
              (await w.prepared()).filter((x) => x.includes(tag)),
              [],
              'nothing of this run is still prepared',
            );

            assert.equal(phaseTwoBefore, 0);
            if (point === 'after-decision@1') {
              assert.equal(phaseTwoAtCrash, 0, 'killed before any phase-two call');
              // No client got an answer, yet a decision outlived the process.
              assert.equal(clientSaw.filter(lostDecision).length, PER_RUN);
              assert.ok((afterRestart['prepared'] ?? 0) < PER_RUN, 'a decision was durable');
            }
            if (point === 'after-branch-call@1') {
              // The call whose result died with the process is made again.
              assert.ok(phaseTwoAtCrash >= 1);
              assert.ok(repeatedCalls(w, tag).length >= 1, 'a phase-two call was repeated');
            }
            const refusals = clientSaw.filter((r) => r instanceof BusinessFailure).length;
            assert.equal(refusals, PER_RUN / 2, 'each refused client saw its refusal');
            console.log(
              `${store} ${point}: phase-two calls before the kill ${phaseTwoAtCrash}, ` +
                `statuses just after the restart ${JSON.stringify(afterRestart)}, ` +
                `decisions lost with the process ${clientSaw.filter(lostDecision).length}, ` +
                `repeated calls ${repeatedCalls(w, tag).length}, ` +
                `kill after ${tKill - t0} ms, all settled ${tDone - tKill} ms after it`,
            );
          } finally {
            go();
            await coordinator.close();
          }
        });
      }
    });
  }

  it('recovery rolls back orphans and waits for an open transaction', async () => {
    const w = world();
    const coordinator = await w.startCoordinator();
    const { accord } = coordinator;
    const tag = uniqueName('xr');
    const late = `${tag}-late`;
    const open = `${tag}-open`;
    const stranger = `${tag}-stranger`;
    const accounts = [late, open, stranger].map((g) => `${g}-acct`);
    await w.open(accounts, OPENING);
    const register = async (gid: string) => {
      for (const [branchId, p] of [
        ['01', w.pg],
        ['02', w.maria],
      ] as const) {
        await accord.registerBranch(gid, {
          branchId,
          commit: p.phaseTwoUrl,
          rollback: p.phaseTwoUrl,
        });
      }
    };
    const localWork = async (gid: string, amount: number) => {
      const account = `${gid}-acct`;
      assert.equal(await callLocal(w.pg, gid, '01', { account, amount: -amount }), 200);
      assert.equal(await callLocal(w.maria, gid, '02', { account, amount }), 200);
    };
    const runners: RecoveryRunner[] = [];
    const reports: { dialect: string; report: RecoveryReport }[] = [];
    const errors: unknown[] = [];
    try {
      // Aborted before its local work, which arrives late: the rollback left the ledger's
      // marker, so the late work is refused and nothing is prepared.
      await accord.create({ gid: late, mode: 'xa' });
      await register(late);
      await accord.abort(late, { reason: 'client gave up' });
      assert.equal((await settled(accord, late)).status, 'failed');
      const lateAccount = `${late}-acct`;
      assert.equal(await callLocal(w.pg, late, '01', { account: lateAccount, amount: -7 }), 409);
      assert.equal(await callLocal(w.maria, late, '02', { account: lateAccount, amount: 7 }), 409);
      assert.deepEqual(ofGid(await w.prepared(), late), []);
      // Still open: prepared, awaiting its client's submit.
      await accord.create({ gid: open, mode: 'xa', options: { timeoutMs: 60_000 } });
      await register(open);
      await localWork(open, 9);
      // Prepared for a gid the coordinator never heard of.
      await localWork(stranger, 11);
      assert.equal((await w.prepared()).filter((x) => x.includes(tag)).length, 4);

      const graceMs = 1_500;
      const started = Date.now();
      for (const p of w.participants) {
        runners.push(
          startRecovery({
            xa: p.xa,
            decide: coordinatorDecider(accord, { graceMs }),
            intervalMs: 100,
            onReport: (report) => reports.push({ dialect: p.ledger.dialect, report }),
            onError: (error) => errors.push(error),
          }),
        );
      }
      await waitFor(async () => ofGid(await w.prepared(), stranger).length === 0, {
        timeoutMs: 15_000,
        what: 'recovery to roll back the unknown gid after its grace',
      });
      const waitedMs = Date.now() - started;
      assert.ok(waitedMs >= graceMs - 200, `the unknown gid was kept ${waitedMs} ms`);
      const keys = (pick: (r: RecoveryReport) => readonly { gid: string }[], gid: string) =>
        reports.filter((r) => pick(r.report).some((k) => k.gid === gid)).map((r) => r.dialect);
      // A pass reports once it has finished every branch (ledger marker included).
      await waitFor(() => keys((r) => r.rolledBack, stranger).length === 2, {
        what: 'both recovery passes that rolled back the unknown gid to report',
      });
      assert.deepEqual(
        keys((r) => r.rolledBack, late),
        [],
        'nothing of the late work to recover',
      );
      assert.deepEqual(keys((r) => r.rolledBack, stranger).sort(), ['mariadb', 'postgres']);
      assert.ok(keys((r) => r.waiting, stranger).length >= 2, 'the unknown gid waited first');
      assert.deepEqual(
        keys((r) => r.rolledBack, open),
        [],
      );
      assert.deepEqual(
        keys((r) => r.committed, open),
        [],
      );
      assert.deepEqual(ofGid(await w.prepared(), open), [
        `mariadb:${open}/02`,
        `postgres:${open}/01`,
      ]);
      assert.deepEqual(errors, []);

      // The open one commits normally, recovery running alongside.
      const tx = await accord.submit(open, { waitResult: true });
      assert.equal(tx.status, 'succeeded');
      for (const gid of [late, stranger]) {
        assert.equal(await w.pg.ledger.moves(gid), 0);
        assert.equal(await w.maria.ledger.moves(gid), 0);
        assert.equal(await w.pg.ledger.balance(`${gid}-acct`), OPENING);
        assert.equal(await w.maria.ledger.balance(`${gid}-acct`), OPENING);
      }
      assert.equal(await w.pg.ledger.balance(`${open}-acct`), OPENING - 9);
      assert.equal(await w.maria.ledger.balance(`${open}-acct`), OPENING + 9);
      assert.deepEqual(
        (await w.prepared()).filter((x) => x.includes(tag)),
        [],
      );
      console.log(`recovery: unknown gid rolled back ${waitedMs} ms after recovery started`);
    } finally {
      for (const r of runners) await r.stop();
      await coordinator.close();
    }
  });
});

/** Whether the client's submit or abort got no answer (the coordinator died first). */
function lostDecision(outcome: unknown): boolean {
  if (outcome === 'submitted') return false;
  return !(outcome instanceof BusinessFailure) || outcome.cause !== undefined;
}

/** Phase-two calls received so far for this run's transactions. */
function phaseTwoCount(w: XaWorld, tag: string): number {
  return w.participants
    .flatMap((p) => p.phaseTwoRequests)
    .filter((r) => r.gid.startsWith(`${tag}-`)).length;
}

/** Phase-two calls (`gid/branch:op`) of this run received more than once. */
function repeatedCalls(w: XaWorld, tag: string): string[] {
  const seen = new Map<string, number>();
  for (const r of w.participants.flatMap((p) => p.phaseTwoRequests)) {
    if (!r.gid.startsWith(`${tag}-`)) continue;
    const key = `${r.gid}/${r.branchId}:${r.op}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

/** How many of the plans are in each status right now. */
async function statusCounts(
  accord: AccordClient,
  plans: readonly Plan[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const plan of plans) {
    const { status } = (await accord.query(plan.gid)).transaction;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}
