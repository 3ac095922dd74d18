/**
 * Test support (not a test file): runs a transaction to its end the way an executor
 * does, on a virtual clock, with branch replies taken from a script, through a
 * {@link Driver} that checks every transition. The property tests build on it.
 */
import assert from 'node:assert/strict';
import type { OpName } from '../../src/protocol.js';
import { isTerminal, opKey } from '../../src/protocol.js';
import type { NewTransaction } from '../../src/machine/create.js';
import { Driver } from './driver.js';
import { outcomeOf, type Scripted } from './fixtures.js';
import { eligibleOps } from '../../src/machine/phases.js';
import type { DriveState, MachineEvent } from '../../src/machine/types.js';

const keyOf = (o: { branchId: string; op: OpName }) => opKey(o.branchId, o.op);

/** An event from a client or an operator, `at` ms after the transaction was created. */
export interface External {
  readonly at: number;
  readonly event: MachineEvent;
}

/** Input of {@link simulate}. */
export interface SimInput {
  readonly spec: NewTransaction;
  /** Replies per op key (`branchId:op`), used in turn; once used up, replies are `success`. */
  readonly replies: Readonly<Record<string, readonly Scripted[]>>;
  readonly externals?: readonly External[];
  /** Latency of each call in turn (cycled), ms. */
  readonly latencies?: readonly number[];
  readonly seed?: number;
  readonly maxSteps?: number;
}

/** How a simulation ended. */
export type SimEnd = 'terminal' | 'parked' | 'waiting' | 'step-limit';

/** Everything a simulation did. */
export interface SimResult {
  readonly driver: Driver;
  readonly start: number;
  readonly end: SimEnd;
}

/** Creation time of simulated transactions. */
export const SIM_START = 1_000_000;

/**
 * Runs a transaction to the end like an executor: created at {@link SIM_START}, woken,
 * each dispatched call answered after its latency with the next scripted reply; when
 * nothing is in flight the clock jumps to `nextAttemptAt`; client and operator events
 * are injected at their times. Stops when nothing is left to happen (terminal, parked,
 * or a prepared transaction waiting for its client) or after `maxSteps` transitions.
 */
export function simulate(input: SimInput): SimResult {
  const start = SIM_START;
  const driver = Driver.create(input.spec, start, input.seed ?? 1);
  const externals = [...(input.externals ?? [])].sort((a, b) => a.at - b.at);
  const latencies = input.latencies && input.latencies.length > 0 ? input.latencies : [10];
  const maxSteps = input.maxSteps ?? 2_000;
  const used = new Map<string, number>();
  const flights = new Map<string, { due: number; seq: number; attempt: number; at: number }>();
  let calls = 0;
  let nextExternal = 0;

  const run = (event: MachineEvent) => {
    const decision = driver.apply(event);
    for (const op of decision.dispatch) {
      const latency = latencies[calls % latencies.length] ?? 0;
      flights.set(keyOf(op), {
        due: driver.now + latency,
        seq: calls++,
        attempt: op.attempts,
        at: driver.now,
      });
    }
  };

  run({ type: 'wake' });
  while (driver.steps.length < maxSteps) {
    const s = driver.state;
    const external = externals[nextExternal];
    const externalAt = external ? start + external.at : Infinity;
    let flight: [string, { due: number; seq: number; attempt: number; at: number }] | undefined;
    for (const entry of flights) {
      if (!flight || entry[1].due < flight[1].due) flight = entry;
    }
    const live = !isTerminal(s.tx.status) && !s.tx.parked;
    const wakeAt = !live
      ? null
      : s.inFlight.size === 0
        ? s.tx.nextAttemptAt
        : dueWhileBusy(s, driver.now);
    const t = Math.min(externalAt, flight?.[1].due ?? Infinity, wakeAt ?? Infinity);
    if (t === Infinity) {
      return { driver, start, end: !live ? (s.tx.parked ? 'parked' : 'terminal') : 'waiting' };
    }
    driver.now = Math.max(driver.now, t);
    if (external && externalAt === t) {
      nextExternal += 1;
      run(external.event);
    } else if (flight && flight[1].due === t) {
      const [key, call] = flight;
      flights.delete(key);
      const n = used.get(key) ?? 0;
      used.set(key, n + 1);
      const reply = input.replies[key]?.[n] ?? 'success';
      const op = s.ops.find((o) => keyOf(o) === key);
      assert.ok(op);
      run({
        type: 'result',
        branchId: op.branchId,
        op: op.op,
        attempt: call.attempt,
        startedAt: call.at,
        outcome: outcomeOf(reply),
      });
    } else {
      run({ type: 'wake' });
    }
  }
  return { driver, start, end: 'step-limit' };
}

/**
 * When an executor with calls in flight must wake again: the earliest retry time of an
 * op of the phase not in flight, or a deadline still ahead.
 */
function dueWhileBusy(s: DriveState, now: number): number | null {
  const times = eligibleOps(s)
    .filter((o) => !s.inFlight.has(keyOf(o)))
    .map((o) => o.nextAttemptAt);
  if (s.tx.deadlineAt !== null && s.tx.deadlineAt > now) times.push(s.tx.deadlineAt);
  return times.length > 0 ? Math.min(...times) : null;
}
