/**
 * XA end to end: a real coordinator process, one participant on PostgreSQL and one on
 * MariaDB, the SDK. Commit, rollback after a refusal, the prepared timeout, phase two
 * retried across a participant restart, and a repeated phase-two call; each checked in
 * the databases themselves (from another connection) and in their lists of prepared
 * transactions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BusinessFailure } from '@accord/client';
import { signPayload } from '@accord/client/participant';
import { uniqueName, waitFor } from '@accord/testkit';
import {
  branchOn,
  callLocal,
  ofGid,
  settled,
  startXaWorld,
  xaSkip,
  type XaCoordinator,
  type XaWorld,
} from '../support/xa-world.js';

const skip = await xaSkip();
const OPENING = 100;

describe('xa end to end (PostgreSQL + MariaDB)', { skip: skip ?? false }, () => {
  let world: XaWorld;
  let coordinator: XaCoordinator;

  before(async () => {
    world = await startXaWorld();
    coordinator = await world.startCoordinator();
  });
  after(async () => {
    if (world === undefined) return;
    // Every test leaves nothing prepared; whatever a failed one left is rolled back here.
    const left = await world.prepared().catch(() => []);
    await world.close();
    assert.deepEqual(left, [], 'no prepared branch is left behind');
  });

  /** Fresh accounts (same id in both databases) for one test. */
  async function account(name: string): Promise<string> {
    const id = uniqueName(name);
    await world.open([id], OPENING);
    return id;
  }

  async function balances(id: string): Promise<[number | undefined, number | undefined]> {
    return [await world.pg.ledger.balance(id), await world.maria.ledger.balance(id)];
  }

  async function movesOf(gid: string): Promise<[number, number]> {
    return [await world.pg.ledger.moves(gid), await world.maria.ledger.moves(gid)];
  }

  it('commits a branch on each database on submit', async () => {
    const id = await account('commit');
    const gid = uniqueName('xa-commit');
    const { transaction, result } = await coordinator.accord.xa(
      async (xa) => {
        const pg = await xa.branch(branchOn(world.pg, { account: id, amount: -30 }));
        const maria = await xa.branch(branchOn(world.maria, { account: id, amount: 30 }));
        // Prepared, not committed: another connection sees neither change...
        assert.deepEqual(await balances(id), [OPENING, OPENING]);
        assert.deepEqual(await movesOf(gid), [0, 0]);
        // ...and both databases list the branches as prepared.
        assert.deepEqual(ofGid(await world.prepared(), gid), [
          `mariadb:${gid}/02`,
          `postgres:${gid}/01`,
        ]);
        return { pg, maria };
      },
      { gid, waitResult: true },
    );
    assert.deepEqual(result, { pg: { balance: 70 }, maria: { balance: 130 } });
    assert.equal(transaction.status, 'succeeded');
    assert.deepEqual(await balances(id), [70, 130]);
    assert.deepEqual(await movesOf(gid), [1, 1]);
    assert.deepEqual(ofGid(await world.prepared(), gid), []);
    const { history } = await coordinator.accord.query(gid);
    assert.deepEqual(history.map((h) => `${h.branchId}:${h.op}:${h.outcome}`).sort(), [
      '01:commit:success',
      '02:commit:success',
    ]);
  });

  it('rolls back the prepared branch when the second one refuses', async () => {
    const id = await account('rollback');
    const gid = uniqueName('xa-rollback');
    await assert.rejects(
      coordinator.accord.xa(
        async (xa) => {
          await xa.branch(branchOn(world.pg, { account: id, amount: -30 }));
          assert.deepEqual(ofGid(await world.prepared(), gid), [`postgres:${gid}/01`]);
          await xa.branch(branchOn(world.maria, { account: id, amount: -(OPENING + 1) }));
        },
        { gid },
      ),
      (error: unknown) => error instanceof BusinessFailure && error.cause === undefined,
      'the refusal reaches the caller and the abort itself went through',
    );
    const tx = await settled(coordinator.accord, gid);
    assert.equal(tx.status, 'failed');
    assert.match(tx.reason ?? '', /cannot take/);
    assert.deepEqual(await balances(id), [OPENING, OPENING]);
    assert.deepEqual(await movesOf(gid), [0, 0]);
    assert.deepEqual(ofGid(await world.prepared(), gid), []);
    // The prepared branch was rolled back; the refused one had nothing left to roll back.
    const outcomes = [...world.pg.phaseTwoResults, ...world.maria.phaseTwoResults]
      .filter((r) => r.gid === gid)
      .map((r) => `${r.branchId}:${r.op}:${r.outcome}`)
      .sort();
    assert.deepEqual(outcomes, ['01:rollback:rolledback', '02:rollback:already-done']);
  });

  it('rolls back branches whose client never submits, at the prepared timeout', async () => {
    const id = await account('timeout');
    const gid = uniqueName('xa-timeout');
    const { accord } = coordinator;
    const started = Date.now();
    await accord.create({ gid, mode: 'xa', options: { timeoutMs: 800 } });
    await accord.registerBranch(gid, {
      branchId: 'pg',
      commit: world.pg.phaseTwoUrl,
      rollback: world.pg.phaseTwoUrl,
    });
    assert.equal(await callLocal(world.pg, gid, 'pg', { account: id, amount: -10 }), 200);
    await accord.registerBranch(gid, {
      branchId: 'maria',
      commit: world.maria.phaseTwoUrl,
      rollback: world.maria.phaseTwoUrl,
    });
    assert.equal(await callLocal(world.maria, gid, 'maria', { account: id, amount: -10 }), 200);
    assert.deepEqual(ofGid(await world.prepared(), gid), [
      `mariadb:${gid}/maria`,
      `postgres:${gid}/pg`,
    ]);
    // The client goes away here.
    const tx = await settled(accord, gid);
    const elapsed = Date.now() - started;
    assert.equal(tx.status, 'failed');
    assert.match(tx.reason ?? '', /timed out while prepared/);
    assert.ok(elapsed >= 800, `not before the timeout (${elapsed} ms)`);
    assert.deepEqual(ofGid(await world.prepared(), gid), []);
    assert.deepEqual(await balances(id), [OPENING, OPENING]);
    assert.deepEqual(await movesOf(gid), [0, 0]);
    await assert.rejects(accord.submit(gid), { code: 'INVALID_STATE' }, 'too late to submit');
    console.log(`prepared timeout 800 ms: failed after ${elapsed} ms`);
  });

  it('retries phase two until a restarted participant commits', async () => {
    const id = await account('restart');
    const gid = uniqueName('xa-restart');
    const { accord } = coordinator;
    const { transaction } = await accord.xa(
      async (xa) => {
        await xa.branch(branchOn(world.pg, { account: id, amount: -40 }));
        await xa.branch(branchOn(world.maria, { account: id, amount: 40 }));
        // The PostgreSQL participant goes down between the phases: server and pool.
        await world.pg.stop();
      },
      { gid },
    );
    assert.equal(transaction.status, 'submitted');
    const outage = Date.now();
    const failing = await waitFor(
      async () => {
        const q = await accord.query(gid);
        const errors = q.history.filter((h) => h.branchId === '01' && h.outcome === 'error');
        const mariaDone = q.transaction.branches?.some(
          (b) => b.branchId === '02' && b.op === 'commit' && b.status === 'succeeded',
        );
        return errors.length >= 2 && mariaDone ? q : undefined;
      },
      {
        timeoutMs: 10_000,
        what: 'two failed commit calls to the stopped participant, and the other branch committed',
      },
    );
    assert.equal(failing.transaction.status, 'submitted', 'not finished while a branch is down');
    const pgCommit = failing.transaction.branches?.find(
      (b) => b.branchId === '01' && b.op === 'commit',
    );
    assert.ok(pgCommit);
    assert.equal(pgCommit.status, 'pending');
    assert.ok(pgCommit.lastError, 'the failed call is on record');
    // The prepared transaction outlived the participant's pool; MariaDB went ahead.
    assert.deepEqual(ofGid(await world.prepared(), gid), [`postgres:${gid}/01`]);
    assert.deepEqual(await balances(id), [OPENING, OPENING + 40]);

    await world.pg.start();
    const tx = await settled(accord, gid);
    console.log(`participant down ${Date.now() - outage} ms in total, commit retried`);
    assert.equal(tx.status, 'succeeded');
    assert.deepEqual(await balances(id), [OPENING - 40, OPENING + 40]);
    assert.deepEqual(await movesOf(gid), [1, 1]);
    assert.deepEqual(ofGid(await world.prepared(), gid), []);
    const { history } = await accord.query(gid);
    assert.ok(
      history.some((h) => h.branchId === '01' && h.op === 'commit' && h.outcome === 'success'),
    );
  });

  it('answers a repeated phase-two call with success and changes nothing', async () => {
    const id = await account('again');
    const gid = uniqueName('xa-again');
    const { transaction } = await coordinator.accord.xa(
      async (xa) => {
        await xa.branch(branchOn(world.pg, { account: id, amount: -5 }));
        await xa.branch(branchOn(world.maria, { account: id, amount: 5 }));
      },
      { gid, waitResult: true },
    );
    assert.equal(transaction.status, 'succeeded');
    const after = { balances: await balances(id), moves: await movesOf(gid) };
    assert.deepEqual(after, { balances: [OPENING - 5, OPENING + 5], moves: [1, 1] });

    for (const participant of world.participants) {
      const original = participant.phaseTwoRequests.find((r) => r.gid === gid);
      assert.ok(original, `${participant.ledger.dialect} received the commit`);
      assert.equal(original.op, 'commit');
      const send = (headers: Record<string, string>) =>
        fetch(participant.phaseTwoUrl, { method: 'POST', headers, body: original.body });
      const { host: _host, connection: _c, 'content-length': _l, ...same } = original.headers;

      // The same call again, signed afresh as every coordinator retry is.
      const call = { gid, branchId: original.branchId, op: 'commit', mode: 'xa' };
      const resigned = signPayload(world.secret, call, original.body);
      const again = await send({ ...same, 'accord-signature': resigned });
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), { outcome: 'already-done' });
      // The very same request, signature included, is a replay: refused.
      const exact = await send(same);
      assert.equal(exact.status, 401);
      await exact.arrayBuffer();
      // The commit's signature replayed as a rollback is refused: it binds the op.
      const replayed = await send({ ...same, 'accord-op': 'rollback' });
      assert.equal(replayed.status, 401);
      await replayed.arrayBuffer();
      // Without the coordinator's signature the route refuses to act at all.
      const { 'accord-signature': _s, ...unsigned } = same;
      const forged = await send(unsigned);
      assert.equal(forged.status, 401);
      await forged.arrayBuffer();
    }
    assert.deepEqual({ balances: await balances(id), moves: await movesOf(gid) }, after);
    assert.deepEqual(ofGid(await world.prepared(), gid), []);
  });
});
