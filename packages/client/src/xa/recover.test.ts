import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GlobalStatus } from '@accord/core';
import { waitFor } from '@accord/testkit';
import { AccordClient } from '../client/accord-client.js';
import {
  fakeTransaction,
  startFakeServer,
  type FakeServer,
} from '../../test-support/fake-server.js';
import {
  coordinatorDecider,
  recoverPrepared,
  startRecovery,
  type PreparedBranch,
  type RecoveryReport,
} from './recover.js';

const prepared = (gid: string, ageMs = 0, branchId = '01'): PreparedBranch => ({
  gid,
  branchId,
  xid: `accord:${gid}:${branchId}`,
  ageMs,
});

const emptyReport = (): RecoveryReport => ({
  found: 0,
  committed: [],
  rolledBack: [],
  waiting: [],
  failed: [],
});

describe('coordinatorDecider', () => {
  let server: FakeServer;
  let client: AccordClient;
  const statuses: Record<string, GlobalStatus> = {
    'g-prepared': 'prepared',
    'g-submitted': 'submitted',
    'g-succeeded': 'succeeded',
    'g-aborting': 'aborting',
    'g-failed': 'failed',
  };

  before(async () => {
    server = await startFakeServer((call) => {
      const gid = decodeURIComponent(call.url.split('/').at(-1) ?? '');
      if (gid === 'g-broken') {
        return { status: 503, body: { error: { code: 'STORE_UNAVAILABLE', message: 'down' } } };
      }
      const status = statuses[gid];
      if (!status) {
        return { status: 404, body: { error: { code: 'TRANSACTION_NOT_FOUND', message: gid } } };
      }
      return {
        status: 200,
        body: { transaction: fakeTransaction({ gid, mode: 'xa', status }), history: [] },
      };
    });
    client = new AccordClient({ url: server.url });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  test('maps the global status to commit, rollback or wait', async () => {
    const decide = coordinatorDecider(client);
    const answers: Record<string, string> = {};
    for (const gid of Object.keys(statuses)) answers[gid] = await decide(gid, prepared(gid));
    assert.deepEqual(answers, {
      'g-prepared': 'wait',
      'g-submitted': 'commit',
      'g-succeeded': 'commit',
      'g-aborting': 'rollback',
      'g-failed': 'rollback',
    });
    assert.equal(server.calls.at(-1)?.url, '/v1/transactions/g-failed');
  });

  test('an unknown gid waits out the grace period, then rolls back', async () => {
    const decide = coordinatorDecider(client, { graceMs: 1000 });
    assert.equal(await decide('g-unknown', prepared('g-unknown', 999)), 'wait');
    assert.equal(await decide('g-unknown', prepared('g-unknown', 1000)), 'rollback');
    const byDefault = coordinatorDecider(client);
    assert.equal(await byDefault('g-unknown', prepared('g-unknown', 299_999)), 'wait');
    assert.equal(await byDefault('g-unknown', prepared('g-unknown', 300_000)), 'rollback');
  });

  test('any other coordinator error propagates, so nothing is decided', async () => {
    await assert.rejects(coordinatorDecider(client)('g-broken', prepared('g-broken', 10 ** 9)), {
      code: 'STORE_UNAVAILABLE',
    });
  });
});

describe('recoverPrepared', () => {
  test('asks once per gid, finishes as told, and records failures without stopping', async () => {
    const finished: string[] = [];
    const asked: string[] = [];
    const report = await recoverPrepared(
      {
        list: async () => [
          prepared('a'),
          prepared('a', 0, '02'),
          prepared('b'),
          prepared('c'),
          prepared('d'),
          prepared('e'),
        ],
        finish: async (branch, decision) => {
          if (branch.gid === 'd') throw new Error('database went away');
          finished.push(`${branch.gid}/${branch.branchId}:${decision}`);
        },
      },
      async (gid) => {
        asked.push(gid);
        if (gid === 'e') return 'maybe' as never;
        return ({ a: 'commit', b: 'rollback', c: 'wait', d: 'commit' } as const)[gid] ?? 'wait';
      },
    );
    assert.deepEqual(asked, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(finished, ['a/01:commit', 'a/02:commit', 'b/01:rollback']);
    assert.equal(report.found, 6);
    assert.deepEqual(report.committed, [
      { gid: 'a', branchId: '01' },
      { gid: 'a', branchId: '02' },
    ]);
    assert.deepEqual(report.rolledBack, [{ gid: 'b', branchId: '01' }]);
    assert.deepEqual(report.waiting, [{ gid: 'c', branchId: '01' }]);
    assert.deepEqual(
      report.failed.map((f) => [f.branch.gid, (f.error as Error).message]),
      [
        ['d', 'database went away'],
        ['e', 'decider answered maybe for e/01'],
      ],
    );
  });
});

describe('startRecovery', () => {
  test('runs at once, then after each interval, never two passes at a time', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    const reports: RecoveryReport[] = [];
    const recovery = startRecovery({
      xa: {
        async recover() {
          running += 1;
          most = Math.max(most, running);
          passes += 1;
          await new Promise((r) => setTimeout(r, 20));
          running -= 1;
          return emptyReport();
        },
      },
      decide: async () => 'wait',
      intervalMs: 5,
      onReport: (report) => reports.push(report),
    });
    assert.equal(passes, 1, 'the first pass starts synchronously');
    await waitFor(() => passes >= 3, { what: 'three passes' });
    await recovery.stop();
    const after = passes;
    assert.ok(after >= 3, `passes: ${after}`);
    assert.equal(most, 1);
    assert.equal(running, 0, 'stop waited for the pass in flight');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(passes, after, 'no pass after stop');
    assert.equal(reports.length, after);
  });

  test('reports failed passes and failed branches, and keeps going', async () => {
    const errors: [string, string | undefined][] = [];
    let pass = 0;
    const recovery = startRecovery({
      xa: {
        async recover() {
          pass += 1;
          if (pass === 1) throw new Error('cannot connect');
          return {
            ...emptyReport(),
            found: 1,
            failed: [{ branch: { gid: 'g', branchId: '01' }, error: new Error('busy') }],
          };
        },
      },
      decide: async () => 'wait',
      intervalMs: 1,
      onError: (error, branch) => errors.push([(error as Error).message, branch?.gid]),
    });
    try {
      // The first pass (started at once) is still in flight: runNow joins it.
      await assert.rejects(recovery.runNow(), /cannot connect/);
      const report = await recovery.runNow();
      assert.equal(report.found, 1);
    } finally {
      await recovery.stop();
    }
    assert.deepEqual(errors.slice(0, 2), [
      ['cannot connect', undefined],
      ['busy', 'g'],
    ]);
  });

  test('runNow joins a pass in flight', async () => {
    let passes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const recovery = startRecovery({
      xa: {
        async recover() {
          passes += 1;
          await gate;
          return emptyReport();
        },
      },
      decide: async () => 'wait',
      intervalMs: 60_000,
    });
    const joined = recovery.runNow();
    release();
    await joined;
    assert.equal(passes, 1);
    await recovery.stop();
  });
});
