/** The participant gate on a hand-moved clock: pauses, caps, the resume ramp and the stats. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BranchOp, Outcome, TransactionRecord } from '@accord/core';
import { ManualClock } from '@accord/core';
import type { Admission } from '../engine/call-gate.js';
import { ParticipantGate, type ParticipantGateOptions, type Sleep } from './participant-gate.js';

const OK: Outcome = { kind: 'success', httpStatus: 200, message: null };
const DOWN: Outcome = { kind: 'error', httpStatus: 503, message: 'down' };

/** Sleeps that end only when the test moves the clock past them (or their signal aborts). */
class ManualSleeps {
  private readonly waiting: Array<{ until: number; wake: () => void }> = [];

  constructor(private readonly clock: ManualClock) {}

  readonly sleep: Sleep = (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const entry = { until: this.clock.now() + ms, wake: () => resolve() };
      this.waiting.push(entry);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });

  /** Moves the clock and ends the sleeps that are over; lets their continuations run. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    for (const entry of this.waiting.filter((e) => e.until <= this.clock.now())) {
      this.waiting.splice(this.waiting.indexOf(entry), 1);
      entry.wake();
    }
    await settle();
  }
}

/** Lets every pending promise continuation run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

function setup(options: Partial<ParticipantGateOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const sleeps = new ManualSleeps(clock);
  const gate = new ParticipantGate({ clock, sleep: sleeps.sleep, random: () => 0.5, ...options });
  return { clock, sleeps, gate };
}

let seq = 0;
function call(url: string): [TransactionRecord, BranchOp] {
  seq += 1;
  const tx = { gid: `g${seq}` } as TransactionRecord;
  const op = { branchId: 'b', op: 'action', url, attempts: 1 } as unknown as BranchOp;
  return [tx, op];
}

const open = new AbortController().signal;

/** Admits a call to `url`; tracks whether (and how) it was answered. */
function ask(gate: ParticipantGate, url: string, signal = open) {
  const answer = gate.admit(...call(url), signal);
  const state: { admission: Admission | null } = { admission: null };
  if (answer instanceof Promise) void answer.then((a) => (state.admission = a));
  else state.admission = answer;
  return state;
}

function kindOf(state: { admission: Admission | null }): string {
  return state.admission?.kind ?? 'waiting';
}

function go(admission: Admission | null) {
  if (admission?.kind !== 'go') assert.fail(`expected go, got ${admission?.kind ?? 'no answer'}`);
  return admission;
}

describe('participant gate', () => {
  it('holds every call to a paused participant, without counting it, and lets others through', () => {
    const { gate, clock } = setup({ holdMs: 1_000 });
    gate.setPaused(new Map([['pay:8080', { by: 'admin', reason: 'outage', at: 0 }]]));
    const held = ask(gate, 'http://PAY:8080/charge').admission;
    assert.deepEqual(held, { kind: 'held', until: clock.now() + 1_000 });
    go(ask(gate, 'http://ship:8080/send').admission).done(OK, 5);
    const pay = gate.view('pay:8080');
    assert.equal(pay.paused, true);
    assert.equal(pay.pausedBy, 'admin');
    assert.equal(pay.pauseReason, 'outage');
    assert.equal(pay.calls, 0);
    assert.equal(pay.held, 1);
    assert.equal(gate.view('ship:8080').calls, 1);
  });

  it('lets a held op through once resumed, and stops counting it as held', async () => {
    const { gate, sleeps } = setup({ holdMs: 1_000, resumeRatePerSec: 1_000 });
    gate.setPaused(new Map([['pay:80', { by: 'admin', reason: 'x', at: 0 }]]));
    const [tx, op] = call('http://pay/charge');
    assert.equal((gate.admit(tx, op, open) as Admission).kind, 'held');
    gate.setPaused(new Map());
    await sleeps.advance(1_000);
    go(await gate.admit(tx, op, open)).done(OK, 3);
    assert.equal(gate.view('pay:80').held, 0);
    assert.equal(gate.view('pay:80').calls, 1);
  });

  it('sends calls to a resumed participant at the resume rate, then at full speed', async () => {
    const { gate, sleeps } = setup({ resumeRatePerSec: 10, resumeWindowMs: 10_000 });
    gate.setPaused(new Map([['pay:80', { by: 'admin', reason: 'x', at: 0 }]]));
    gate.setPaused(new Map());
    const calls = Array.from({ length: 5 }, () => ask(gate, 'http://pay/x'));
    await settle();
    // A burst of one (a tenth of a second's worth), then one every 100 ms.
    assert.deepEqual(
      calls.map((c) => c.admission?.kind ?? 'waiting'),
      ['go', 'waiting', 'waiting', 'waiting', 'waiting'],
    );
    await sleeps.advance(100);
    assert.equal(calls.filter((c) => c.admission?.kind === 'go').length, 2);
    await sleeps.advance(300);
    assert.equal(calls.filter((c) => c.admission?.kind === 'go').length, 5);
    await sleeps.advance(10_000);
    const after = Array.from({ length: 20 }, () => ask(gate, 'http://pay/x'));
    assert.ok(
      after.every((c) => c.admission?.kind === 'go'),
      'no rate cap once the window ends',
    );
  });

  it('keeps at most the concurrency cap open, first come first served', async () => {
    const { gate } = setup({ caps: new Map([['db:5432', { concurrency: 2, ratePerSec: null }]]) });
    const calls = Array.from({ length: 4 }, () => ask(gate, 'http://db:5432/q'));
    await settle();
    assert.deepEqual(
      calls.map((c) => c.admission?.kind ?? 'waiting'),
      ['go', 'go', 'waiting', 'waiting'],
    );
    assert.equal(gate.view('db:5432').inFlight, 2);
    assert.equal(gate.view('db:5432').held, 2);
    go(calls[0]!.admission).done(OK, 10);
    await settle();
    assert.deepEqual(
      calls.map((c) => c.admission?.kind ?? 'waiting'),
      ['go', 'go', 'go', 'waiting'],
    );
    assert.equal(gate.view('db:5432').inFlight, 2);
    go(calls[1]!.admission).done(OK, 10);
    go(calls[2]!.admission).done(OK, 10);
    await settle();
    go(calls[3]!.admission).done(OK, 10);
    assert.equal(gate.view('db:5432').inFlight, 0);
    assert.equal(gate.view('db:5432').calls, 4);
  });

  it('holds a call that waited for a slot longer than the longest wait', async () => {
    const { gate, sleeps, clock } = setup({
      defaults: { concurrency: 1, ratePerSec: null },
      maxWaitMs: 500,
    });
    const first = ask(gate, 'http://db:1/q');
    const second = ask(gate, 'http://db:1/q');
    await sleeps.advance(499);
    assert.equal(kindOf(second), 'waiting');
    await sleeps.advance(1);
    assert.equal(kindOf(second), 'held');
    assert.ok((second.admission as unknown as { until: number }).until > clock.now());
    go(first.admission).done(OK, 1);
    assert.equal(
      gate.view('db:1').inFlight,
      0,
      'the slot is free: the held call gave its place up',
    );
    assert.equal(gate.view('db:1').calls, 1);
  });

  it('spaces calls by the rate cap and holds those whose turn is too far away', async () => {
    const { gate, sleeps } = setup({
      caps: new Map([['api:443', { concurrency: null, ratePerSec: 5 }]]),
      maxWaitMs: 1_000,
    });
    const calls = Array.from({ length: 8 }, () => ask(gate, 'https://api/x'));
    await settle();
    // One now, then one every 200 ms: the turns within 1 s wait, the rest are held.
    const kinds = () => calls.map((c) => c.admission?.kind ?? 'waiting');
    assert.deepEqual(kinds(), ['go', ...Array<string>(5).fill('waiting'), 'held', 'held']);
    await sleeps.advance(200);
    assert.deepEqual(kinds().slice(0, 3), ['go', 'go', 'waiting']);
    await sleeps.advance(800);
    assert.deepEqual(kinds(), [...Array<string>(6).fill('go'), 'held', 'held']);
  });

  it('holds a waiting call when its lease ends (the signal aborts)', async () => {
    const { gate } = setup({ defaults: { concurrency: 1, ratePerSec: null } });
    const first = ask(gate, 'http://db:1/q');
    const lease = new AbortController();
    const second = ask(gate, 'http://db:1/q', lease.signal);
    lease.abort();
    await settle();
    assert.equal(second.admission?.kind, 'held');
    go(first.admission).done(null, 0);
    assert.equal(gate.view('db:1').inFlight, 0);
    assert.equal(gate.view('db:1').calls, 0, 'a call that was not made is not counted');
  });

  it('reports calls, errors and latency percentiles over the last five minutes', async () => {
    const { gate, sleeps } = setup();
    for (let i = 1; i <= 100; i++)
      go(ask(gate, 'http://svc:80/').admission).done(i < 91 ? OK : DOWN, i);
    const now = gate.view('svc:80');
    assert.equal(now.calls, 100);
    assert.equal(now.errors, 10);
    assert.equal(now.errorRate, 0.1);
    assert.ok(Math.abs(now.latencyP50Ms! - 50) <= 50 * 0.05, `p50 ${now.latencyP50Ms}`);
    assert.ok(Math.abs(now.latencyP99Ms! - 99) <= 99 * 0.05, `p99 ${now.latencyP99Ms}`);
    await sleeps.advance(301_000);
    const later = gate.view('svc:80');
    assert.deepEqual([later.calls, later.latencyP50Ms], [0, null]);
  });

  it('keeps the stats of a bounded number of participants, dropping the least recent', () => {
    const { gate } = setup({ maxHosts: 3 });
    for (const host of ['a', 'b', 'c', 'd'])
      go(ask(gate, `http://${host}:1/`).admission).done(OK, 1);
    assert.deepEqual(
      gate.list().map((p) => p.host),
      ['b:1', 'c:1', 'd:1'],
    );
  });

  it('lets broker targets through untouched', () => {
    const { gate } = setup({ defaults: { concurrency: 1, ratePerSec: 1 } });
    for (let i = 0; i < 3; i++)
      assert.equal((gate.admit(...call('broker://rabbit/x'), open) as Admission).kind, 'go');
    assert.deepEqual(gate.list(), []);
  });
});
