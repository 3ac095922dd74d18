/**
 * End to end: a real coordinator process, the example's two bank services (SQLite and
 * PostgreSQL), the SDK. Every mode's happy and unhappy paths, and the barrier's three
 * guarantees seen from the outside.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccordError } from '@accord/core';
import { msgTransfer, sagaTransfer, tccTransfer } from '@accord/example-bank-transfer';
import type { BankWorld } from '../support/bank-world.js';
import {
  balanceOf,
  checkInvariants,
  settled,
  startWorld,
  tryHeaders,
} from '../support/bank-world.js';

describe('bank transfer end to end', () => {
  let w: BankWorld;
  let total = 0;
  const gid = (name: string) =>
    `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

  before(async () => {
    // Transactions left prepared time out after 10 s unless a test sets its own timeout:
    // long enough that a loaded machine finishes an ordinary tcc before it.
    w = await startWorld({ openingBalance: 1_000, env: { ACCORD_PREPARED_TIMEOUT_MS: '10000' } });
    if (w.postgresSkip) console.log(`# bank B uses SQLite: ${w.postgresSkip}`);
    total = 2_000;
  });
  after(async () => {
    const problems = await checkInvariants(w, total);
    await w.close();
    assert.deepEqual(problems, []);
  });

  it('saga: moves money and succeeds', async () => {
    const before = {
      a: (await balanceOf(w.a, 'alice')).balance,
      b: (await balanceOf(w.b, 'bob')).balance,
    };
    const tx = await sagaTransfer(w.accord, { from: w.alice, to: w.bob, amount: 100 });
    assert.equal(tx.status, 'succeeded');
    assert.equal((await balanceOf(w.a, 'alice')).balance, before.a - 100);
    assert.equal((await balanceOf(w.b, 'bob')).balance, before.b + 100);
  });

  it('saga: a refused step compensates what ran, in reverse order', async () => {
    const id = gid('saga-refused');
    const before = (await balanceOf(w.a, 'alice')).balance;
    const tx = await sagaTransfer(w.accord, {
      gid: id,
      from: w.alice,
      to: { ...w.bob, account: 'nobody' },
      amount: 50,
    });
    assert.equal(tx.status, 'failed');
    assert.match(tx.reason ?? '', /deposit.*refused: HTTP 409/);
    const { history } = await w.accord.query(id);
    const order = history.map((h) => `${h.branchId}:${h.op}:${h.outcome}`);
    assert.deepEqual(order, [
      'withdraw:action:success',
      'deposit:action:failure',
      'deposit:compensate:success',
      'withdraw:compensate:success',
    ]);
    assert.equal((await balanceOf(w.a, 'alice')).balance, before, 'the withdrawal was reverted');
    assert.ok(
      (w.b.service.calls.get('/saga/deposit-revert empty-compensation') ?? 0) >= 1,
      'the failed deposit needed no undo',
    );
  });

  it('saga: a refused first step leaves nothing behind (empty compensation)', async () => {
    const tx = await sagaTransfer(w.accord, { from: w.alice, to: w.bob, amount: 1_000_000 });
    assert.equal(tx.status, 'failed');
    assert.ok((w.a.service.calls.get('/saga/withdraw-revert empty-compensation') ?? 0) >= 1);
  });

  it('saga as a DAG: independent steps run concurrently after their dependency', async () => {
    const before = (await balanceOf(w.b, 'bob')).balance;
    const tx = await w.accord
      .saga()
      .step({
        id: 'out',
        action: `${w.alice.url}/saga/withdraw`,
        compensate: `${w.alice.url}/saga/withdraw-revert`,
        payload: { account: 'alice', amount: 30 },
      })
      .step({
        id: 'in1',
        action: `${w.bob.url}/saga/deposit`,
        compensate: `${w.bob.url}/saga/deposit-revert`,
        payload: { account: 'bob', amount: 10 },
        dependsOn: ['out'],
      })
      .step({
        id: 'in2',
        action: `${w.bob.url}/saga/deposit`,
        compensate: `${w.bob.url}/saga/deposit-revert`,
        payload: { account: 'bob', amount: 20 },
        dependsOn: ['out'],
      })
      .submit({ waitResult: true });
    assert.equal(tx.status, 'succeeded');
    const { history } = await w.accord.query(tx.gid);
    assert.equal(history[0]?.branchId, 'out');
    const out = history[0];
    assert.ok(history.slice(1).every((h) => h.startedAt >= out.finishedAt));
    assert.equal((await balanceOf(w.b, 'bob')).balance, before + 30);
  });

  it('tcc: confirms both branches', async () => {
    const before = (await balanceOf(w.b, 'bob')).balance;
    const tx = await tccTransfer(w.accord, { from: w.alice, to: w.bob, amount: 40 });
    assert.equal(tx.status, 'succeeded');
    assert.equal((await balanceOf(w.b, 'bob')).balance, before + 40);
    assert.equal((await balanceOf(w.a, 'alice')).frozen, 0);
  });

  it('tcc: a refused try aborts and cancels every registered branch', async () => {
    const id = gid('tcc-refused');
    const before = await balanceOf(w.a, 'alice');
    await assert.rejects(
      tccTransfer(w.accord, {
        gid: id,
        from: w.alice,
        to: { ...w.bob, account: 'nobody' },
        amount: 25,
      }),
      (e: unknown) => e instanceof AccordError && e.code === 'BRANCH_FAILED',
    );
    const tx = await settled(w, id);
    assert.equal(tx.status, 'failed');
    const { history } = await w.accord.query(id);
    // The client's abort is in the audit trail too (branch '-'), before both cancels.
    assert.deepEqual(history.map((h) => `${h.branchId}:${h.op}`).sort(), [
      '-:abort',
      'deposit:cancel',
      'withdraw:cancel',
    ]);
    const after = await balanceOf(w.a, 'alice');
    assert.deepEqual(after, before, 'frozen amount released, balance untouched');
  });

  it('tcc: the coordinator cancels a transaction left prepared past its timeout', async () => {
    const id = gid('tcc-timeout');
    // Long enough for the register and the try to come first, even on a loaded machine.
    await w.accord.create({ gid: id, mode: 'tcc', options: { timeoutMs: 3_000 } });
    const branch = { account: 'alice', amount: 60 };
    await w.accord.registerBranch(id, {
      branchId: 'withdraw',
      confirm: `${w.alice.url}/tcc/withdraw-confirm`,
      cancel: `${w.alice.url}/tcc/withdraw-cancel`,
      payload: branch,
    });
    const tryCall = await fetch(`${w.alice.url}/tcc/withdraw-try`, {
      method: 'POST',
      headers: tryHeaders(w, id, 'withdraw', JSON.stringify(branch)),
      body: JSON.stringify(branch),
    });
    assert.equal(tryCall.status, 200);
    assert.equal((await balanceOf(w.a, 'alice')).frozen, 60);
    // The client vanishes here: no submit, no abort.
    const tx = await settled(w, id);
    assert.equal(tx.status, 'failed');
    assert.equal(tx.reason, 'timed out while prepared');
    assert.equal((await balanceOf(w.a, 'alice')).frozen, 0);
  });

  it('tcc: a try arriving after its cancel is not applied (hanging)', async () => {
    const id = gid('tcc-hanging');
    await w.accord.create({ gid: id, mode: 'tcc', options: { timeoutMs: 2_000 } });
    const payload = { account: 'alice', amount: 70 };
    await w.accord.registerBranch(id, {
      branchId: 'withdraw',
      confirm: `${w.alice.url}/tcc/withdraw-confirm`,
      cancel: `${w.alice.url}/tcc/withdraw-cancel`,
      payload,
    });
    await settled(w, id); // timed out: cancel ran first (an empty compensation)
    const late = await fetch(`${w.alice.url}/tcc/withdraw-try`, {
      method: 'POST',
      headers: tryHeaders(w, id, 'withdraw', JSON.stringify(payload)),
      body: JSON.stringify(payload),
    });
    assert.equal(late.status, 200);
    assert.deepEqual(await late.json(), { result: 'hanging' });
    assert.equal((await balanceOf(w.a, 'alice')).frozen, 0, 'nothing stays reserved forever');
  });

  it('msg: the local debit and the delivered credit both happen', async () => {
    const before = (await balanceOf(w.b, 'bob')).balance;
    const result = await msgTransfer({ from: w.alice, to: w.bob, amount: 15 });
    const tx = await settled(w, result.gid);
    assert.equal(tx.status, 'succeeded');
    assert.equal((await balanceOf(w.b, 'bob')).balance, before + 15);
  });

  it('msg: a local transaction that fails aborts the message; nothing is delivered', async () => {
    const before = (await balanceOf(w.b, 'bob')).balance;
    await assert.rejects(msgTransfer({ from: w.alice, to: w.bob, amount: 1_000_000 }), /409/);
    const page = await w.accord.list({ mode: 'msg', status: 'failed', limit: 10 });
    assert.ok(page.items.some((t) => t.reason?.includes('insufficient funds')));
    assert.equal((await balanceOf(w.b, 'bob')).balance, before);
  });

  it('msg: no submit, check-back says committed: the message is delivered', async () => {
    const id = gid('msg-check-commit');
    // The local commit must come before the check-back, even on a loaded machine.
    const msg = w.accord
      .msg({ gid: id, checkUrl: `${w.alice.url}/msg/check`, options: { timeoutMs: 3_000 } })
      .step({ action: `${w.bob.url}/msg/deposit`, payload: { account: 'bob', amount: 5 } });
    await msg.prepare();
    await w.a.ledger.debitForMessage(id, 'alice', 5); // committed, then the producer crashes before submit
    const tx = await settled(w, id);
    assert.equal(tx.status, 'succeeded');
    const { history } = await w.accord.query(id);
    assert.equal(history[0]?.op, 'check');
  });

  it('msg: no submit, check-back says not committed: the message fails and a late commit is refused', async () => {
    const id = gid('msg-check-rollback');
    await w.accord
      .msg({ gid: id, checkUrl: `${w.alice.url}/msg/check`, options: { timeoutMs: 500 } })
      .step({ action: `${w.bob.url}/msg/deposit`, payload: { account: 'bob', amount: 5 } })
      .prepare();
    const tx = await settled(w, id);
    assert.equal(tx.status, 'failed');
    assert.match(tx.reason ?? '', /did not commit/);
    const before = (await balanceOf(w.a, 'alice')).balance;
    await assert.rejects(
      w.a.ledger.debitForMessage(id, 'alice', 5),
      'the late local commit must fail',
    );
    assert.equal((await balanceOf(w.a, 'alice')).balance, before);
  });

  it('the same gid with the same body is idempotent; a different body is a conflict', async () => {
    const id = gid('same');
    const before = (await balanceOf(w.b, 'bob')).balance;
    const first = await sagaTransfer(w.accord, { gid: id, from: w.alice, to: w.bob, amount: 7 });
    const second = await sagaTransfer(w.accord, { gid: id, from: w.alice, to: w.bob, amount: 7 });
    assert.equal(first.status, 'succeeded');
    assert.equal(second.status, 'succeeded');
    assert.equal((await balanceOf(w.b, 'bob')).balance, before + 7, 'applied once');
    await assert.rejects(
      sagaTransfer(w.accord, { gid: id, from: w.alice, to: w.bob, amount: 8 }),
      (e: unknown) => e instanceof AccordError && e.code === 'GID_CONFLICT',
    );
    const tcc = await tccTransfer(w.accord, { from: w.alice, to: w.bob, amount: 3 });
    const again = await w.accord.submit(tcc.gid);
    assert.equal(again.status, 'succeeded');
  });

  it('duplicate deliveries (lost replies) are applied once', async () => {
    const before = (await balanceOf(w.b, 'bob')).balance;
    w.b.service.faults.arm({ route: '/saga/deposit', kind: 'fail-after', count: 2 });
    w.a.service.faults.arm({ route: '/tcc/withdraw-confirm', kind: 'fail-after', count: 2 });
    const saga = await sagaTransfer(w.accord, { from: w.alice, to: w.bob, amount: 11 });
    const tcc = await tccTransfer(w.accord, { from: w.alice, to: w.bob, amount: 12 });
    assert.equal((await settled(w, saga.gid)).status, 'succeeded');
    assert.equal((await settled(w, tcc.gid)).status, 'succeeded');
    assert.equal((await balanceOf(w.b, 'bob')).balance, before + 23);
    const { history } = await w.accord.query(saga.gid);
    assert.equal(
      history.filter((h) => h.branchId === 'deposit' && h.op === 'action').length,
      3,
      'delivered three times',
    );
    assert.ok((w.b.service.calls.get('/saga/deposit duplicate') ?? 0) >= 2);
  });
});
