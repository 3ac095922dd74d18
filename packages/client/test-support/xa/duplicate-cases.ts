/**
 * The XA helpers' at-most-once cases, run against each database on a real server: every
 * timing of a repeated local-work call (concurrent, after prepare, after commit, after
 * rollback, after a participant restart), rollbacks racing local work, and the sequence
 * that once applied a debit twice (a repeated call prepared again after the commit freed
 * the transaction's name, and recovery committed it).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName } from '@accord/testkit';
import type { RecoveryDecision } from '../../src/xa/recover.js';
import type { XaParticipant } from '../../src/xa/types.js';
import type { XaBranchKey } from '../../src/xa/xid.js';

/** What the cases need of one database. `C` is the helper's connection type. */
export interface XaDuplicateFixture<C> {
  /** A helper on the shared pool (options as the dialect's helper takes them). */
  helper(options?: { busyTimeoutMs?: number }): XaParticipant<C>;
  /** A helper on a new pool, as after a participant restart; `end` closes that pool. */
  restarted(): { xa: XaParticipant<C>; end(): Promise<void> };
  /** Creates an account. */
  open(account: string, balance: number): Promise<void>;
  /** Local work: subtract `amount` from `account`. */
  debit(connection: C, account: string, amount: number): Promise<void>;
  /** The committed balance. */
  balance(account: string): Promise<number | undefined>;
  /** Locks the account's row from an outside transaction; the result releases it. */
  holdRow(account: string): Promise<() => Promise<void>>;
  /** This run's prepared branches. */
  prepared(): Promise<XaBranchKey[]>;
  /** A helper whose ledger table was never created. */
  withoutLedger(): XaParticipant<C>;
}

const branch = (): XaBranchKey => ({ gid: uniqueName('dup'), branchId: '01' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise and its resolver, to hold local work at a chosen point. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * Starts a local-work call whose work waits until `hold.open()`; resolves once the work
 * has begun (so the call holds the branch).
 */
async function startHeld<C, T>(
  xa: XaParticipant<C>,
  key: XaBranchKey,
  work: (connection: C) => Promise<T>,
) {
  const hold = gate();
  const started = gate();
  const first = xa.local(key, async (connection) => {
    started.open();
    await hold.opened;
    return work(connection);
  });
  await started.opened;
  return { first, hold };
}

/**
 * Registers the cases under `describe(name)`.
 *
 * @example
 * xaDuplicateCases('postgres', () => fixture);
 */
export function xaDuplicateCases<C>(name: string, fixture: () => XaDuplicateFixture<C>): void {
  /** Debits 100 from a fresh account of 1,000 and counts how often the work ran. */
  async function account() {
    const f = fixture();
    const id = uniqueName('acct');
    await f.open(id, 1000);
    const counter = { ran: 0 };
    const work = async (connection: C) => {
      counter.ran += 1;
      await f.debit(connection, id, 100);
      return 'debited';
    };
    return { f, id, counter, work };
  }

  describe(`${name} xa: a branch's local work runs at most once`, () => {
    test('a repeat while the branch is prepared answers duplicate/prepared and runs nothing', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      assert.deepEqual(await f.helper().local(key, work), { applied: true, value: 'debited' });
      assert.deepEqual(await f.helper().local(key, work), {
        applied: false,
        reason: 'duplicate',
        state: 'prepared',
      });
      assert.equal(counter.ran, 1);
      assert.equal(await f.helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      assert.equal(await f.balance(id), 900);
    });

    test('a concurrent repeat waits for the first call, then answers duplicate/prepared', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      const { first, hold } = await startHeld(f.helper(), key, work);
      const second = f.helper().local(key, work);
      await sleep(100);
      hold.open();
      assert.deepEqual(await first, { applied: true, value: 'debited' });
      assert.deepEqual(await second, { applied: false, reason: 'duplicate', state: 'prepared' });
      assert.equal(counter.ran, 1);
      await f.helper().phaseTwo({ ...key, op: 'commit' });
      assert.equal(await f.balance(id), 900);
    });

    test('a repeat gives up with Ongoing (425) when the first call outlasts busyTimeoutMs', async () => {
      const { f, counter, work } = await account();
      const key = branch();
      const { first, hold } = await startHeld(f.helper(), key, work);
      await assert.rejects(f.helper({ busyTimeoutMs: 300 }).local(key, work), {
        code: 'BRANCH_ONGOING',
        message: /still running its local work/,
      });
      hold.open();
      await first;
      assert.equal(counter.ran, 1);
      await f.helper().phaseTwo({ ...key, op: 'rollback' });
    });

    test('a repeat after commit answers duplicate/committed and runs nothing', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      await f.helper().local(key, work);
      await f.helper().phaseTwo({ ...key, op: 'commit' });
      assert.deepEqual(await f.helper().local(key, work), {
        applied: false,
        reason: 'duplicate',
        state: 'committed',
      });
      assert.equal(counter.ran, 1);
      assert.deepEqual(await f.prepared(), []);
      assert.equal(await f.balance(id), 900);
    });

    test('a repeat after rollback is refused (409) and runs nothing', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      await f.helper().local(key, work);
      assert.equal(await f.helper().phaseTwo({ ...key, op: 'rollback' }), 'rolledback');
      await assert.rejects(f.helper().local(key, work), {
        code: 'BRANCH_FAILED',
        message: /was rolled back; its local work will not run again/,
      });
      assert.equal(counter.ran, 1);
      assert.deepEqual(await f.prepared(), []);
      assert.equal(await f.balance(id), 1000);
    });

    test('a call that arrives after its rollback never runs (rollback before any work)', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      assert.equal(await f.helper().phaseTwo({ ...key, op: 'rollback' }), 'already-done');
      await assert.rejects(f.helper().local(key, work), { code: 'BRANCH_FAILED' });
      assert.equal(counter.ran, 0);
      assert.deepEqual(await f.prepared(), []);
      assert.equal(await f.balance(id), 1000);
    });

    test('repeats after a participant restart: prepared, then committed', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      await f.helper().local(key, work);
      const again = f.restarted();
      try {
        assert.deepEqual(await again.xa.local(key, work), {
          applied: false,
          reason: 'duplicate',
          state: 'prepared',
        });
        assert.equal(await again.xa.phaseTwo({ ...key, op: 'commit' }), 'committed');
      } finally {
        await again.end();
      }
      const later = f.restarted();
      try {
        assert.deepEqual(await later.xa.local(key, work), {
          applied: false,
          reason: 'duplicate',
          state: 'committed',
        });
      } finally {
        await later.end();
      }
      assert.equal(counter.ran, 1);
      assert.equal(await f.balance(id), 900);
    });

    test('the sequence that once debited twice: repeat blocked on a row, commit, recovery', async () => {
      const { f, id, counter, work } = await account();
      const key = branch();
      // The first call's work waits on a row another transaction holds, long enough
      // for the client to give up on it and send the call again.
      const release = await f.holdRow(id);
      const first = f.helper({ busyTimeoutMs: 10_000 }).local(key, work);
      await sleep(150);
      const resent = f.helper({ busyTimeoutMs: 10_000 }).local(key, work);
      await sleep(150);
      await release();
      assert.deepEqual(await first, { applied: true, value: 'debited' });
      assert.deepEqual(await resent, { applied: false, reason: 'duplicate', state: 'prepared' });
      assert.equal(await f.helper().phaseTwo({ ...key, op: 'commit' }), 'committed');
      // A call still in flight from before now finds the branch committed.
      assert.deepEqual(await f.helper().local(key, work), {
        applied: false,
        reason: 'duplicate',
        state: 'committed',
      });
      const decisions: RecoveryDecision[] = [];
      const report = await f.helper().recover(async () => {
        decisions.push('commit');
        return 'commit';
      });
      assert.equal(report.found, 0, 'nothing left prepared for recovery to commit');
      assert.deepEqual(decisions, []);
      assert.equal(counter.ran, 1);
      assert.equal(await f.balance(id), 900, 'debited exactly once');
    });

    test('a rollback racing a running call waits for it to prepare, then rolls it back', async () => {
      const { f, id, work } = await account();
      const key = branch();
      const { first: running, hold } = await startHeld(f.helper(), key, work);
      const rollback = f.helper({ busyTimeoutMs: 10_000 }).phaseTwo({ ...key, op: 'rollback' });
      await sleep(100);
      hold.open();
      assert.deepEqual(await running, { applied: true, value: 'debited' });
      assert.equal(await rollback, 'rolledback');
      assert.deepEqual(await f.prepared(), []);
      assert.equal(await f.balance(id), 1000);
      await assert.rejects(f.helper().local(key, work), { code: 'BRANCH_FAILED' });
    });

    test('phase two that contradicts the ledger fails loudly instead of answering done', async () => {
      const { f, work } = await account();
      const never = branch();
      await assert.rejects(f.helper().phaseTwo({ ...never, op: 'commit' }), {
        message: /cannot commit xa branch .*: nothing is prepared under it/,
      });
      const rolledBack = branch();
      await f.helper().phaseTwo({ ...rolledBack, op: 'rollback' });
      await assert.rejects(f.helper().phaseTwo({ ...rolledBack, op: 'commit' }), {
        message: /cannot commit xa branch .*: it was already rolled back/,
      });
      const committed = branch();
      await f.helper().local(committed, work);
      await f.helper().phaseTwo({ ...committed, op: 'commit' });
      assert.equal(await f.helper().phaseTwo({ ...committed, op: 'commit' }), 'already-done');
      await assert.rejects(f.helper().phaseTwo({ ...committed, op: 'rollback' }), {
        message: /cannot rollback xa branch .*: it was already committed/,
      });
    });

    test('a missing ledger table is named, with the call that creates it', async () => {
      const { f, work } = await account();
      await assert.rejects(f.withoutLedger().local(branch(), work), {
        message: /does not exist: .*xa\.migrate\(pool\)/,
      });
    });
  });
}
