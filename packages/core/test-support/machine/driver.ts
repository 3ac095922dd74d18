/**
 * Test support (not a test file): a driver that applies events to one transaction at a
 * virtual time and checks, after every transition, the invariants that hold for every
 * mode. The example tests and the simulation build on it.
 */
import assert from 'node:assert/strict';
import type { BranchOp, GlobalStatus, Mode, OpName, Outcome } from '../../src/protocol.js';
import { isTerminal, opKey } from '../../src/protocol.js';
import { createSnapshot, type NewTransaction } from '../../src/machine/create.js';
import { type Scripted, outcomeOf, seededRandom } from './fixtures.js';
import { eligibleOps, findOp, runnableOps } from '../../src/machine/phases.js';
import { transition } from '../../src/machine/transition.js';
import type { Decision, DriveState, MachineEvent } from '../../src/machine/types.js';

/** One transition the driver applied. */
export interface StepRecord {
  readonly index: number;
  readonly event: MachineEvent;
  readonly now: number;
  readonly before: DriveState;
  readonly decision: Decision;
}

/** One dispatched call. */
export interface CallRecord {
  readonly key: string;
  readonly branchId: string;
  readonly op: OpName;
  readonly url: string;
  readonly attempt: number;
  readonly at: number;
  /** Index of the transition that dispatched it. */
  readonly step: number;
  /** Status of the transaction right after that transition. */
  readonly status: GlobalStatus;
}

/** One reply fed back for a call that was in flight. */
export interface ReplyRecord {
  readonly key: string;
  readonly branchId: string;
  readonly op: OpName;
  readonly reply: Scripted;
  readonly at: number;
  readonly step: number;
}

/** Ops a transaction must get through (parking when they cannot) in a status. */
export function mustSucceedOp(mode: Mode, status: GlobalStatus): OpName | null {
  if (mode === 'saga') return status === 'aborting' ? 'compensate' : null;
  if (mode === 'tcc' || mode === 'tcc-rest') {
    return status === 'submitted' ? 'confirm' : status === 'aborting' ? 'cancel' : null;
  }
  if (mode === 'xa' || mode === 'at') {
    return status === 'submitted' ? 'commit' : status === 'aborting' ? 'rollback' : null;
  }
  if (mode === 'notify') return null; // best effort: fails instead of parking
  return status === 'submitted' ? 'action' : status === 'prepared' ? 'check' : null;
}

/** Status edges a mode's machine may take by itself (operator `resolve` aside). */
const EDGES: Record<Mode, readonly (readonly [GlobalStatus, GlobalStatus])[]> = {
  saga: [
    ['submitted', 'succeeded'],
    ['submitted', 'aborting'],
    ['aborting', 'failed'],
  ],
  tcc: [
    ['prepared', 'submitted'],
    ['prepared', 'aborting'],
    ['submitted', 'succeeded'],
    ['aborting', 'failed'],
  ],
  xa: [
    ['prepared', 'submitted'],
    ['prepared', 'aborting'],
    ['submitted', 'succeeded'],
    ['aborting', 'failed'],
  ],
  msg: [
    ['prepared', 'submitted'],
    ['prepared', 'failed'],
    ['submitted', 'succeeded'],
  ],
  notify: [
    ['submitted', 'succeeded'],
    ['submitted', 'failed'],
  ],
  at: [
    ['prepared', 'submitted'],
    ['prepared', 'aborting'],
    ['submitted', 'succeeded'],
    ['aborting', 'failed'],
  ],
  'tcc-rest': [
    ['prepared', 'submitted'],
    ['prepared', 'aborting'],
    ['submitted', 'succeeded'],
    ['submitted', 'failed'],
    ['aborting', 'failed'],
  ],
};

/** A tcc-rest confirm refused with 404: its participant is gone, nothing to retry. */
function isGoneConfirm(state: DriveState, op: BranchOp): boolean {
  return state.tx.mode === 'tcc-rest' && op.op === 'confirm';
}

/** Whether `to` is reachable from `from` along the mode's edges (one transition may take several). */
export function reachable(mode: Mode, from: GlobalStatus, to: GlobalStatus): boolean {
  const seen = new Set<GlobalStatus>([from]);
  const queue = [from];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const [a, b] of EDGES[mode]) {
      if (a === s && !seen.has(b)) {
        seen.add(b);
        queue.push(b);
      }
    }
  }
  return seen.has(to);
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

const keyOf = (o: { branchId: string; op: OpName }) => opKey(o.branchId, o.op);
const sorted = (keys: Iterable<string>) => [...keys].sort();

/** An op's retry budget. */
export function budgetOf(state: DriveState, op: BranchOp): number {
  return op.maxAttempts ?? state.tx.options.retry.maxAttempts;
}

/**
 * Applies events to one transaction at a virtual time and checks, after each, the
 * invariants every mode keeps (see {@link Driver.apply}). Records every step, call and
 * reply for the mode-specific properties.
 */
export class Driver {
  state: DriveState;
  now: number;
  readonly steps: StepRecord[] = [];
  readonly calls: CallRecord[] = [];
  readonly replies: ReplyRecord[] = [];
  private readonly random: () => number;
  private readonly dispatches = new Map<string, number>();
  /** Independent model of each op's consecutive counted failures. */
  private readonly failures = new Map<string, number>();
  private readonly started = new Map<string, { at: number; attempt: number }>();
  private readonly lastReplyAt = new Map<string, number>();

  constructor(state: DriveState, now: number, seed = 1) {
    this.state = state;
    this.now = now;
    this.random = seededRandom(seed);
  }

  /** A driver over the first snapshot of `spec`, nothing in flight. */
  static create(spec: NewTransaction, now: number, seed = 1): Driver {
    return new Driver({ ...createSnapshot(spec, now), inFlight: new Set() }, now, seed);
  }

  /** The op `key` of the current state. */
  op(branchId: string, op: OpName): BranchOp {
    const found = findOp(this.state.ops, branchId, op);
    assert.ok(found, `no op ${opKey(branchId, op)}`);
    return found;
  }

  /** Feeds the reply to the in-flight call of an op (or a stale one if not in flight). */
  reply(branchId: string, op: OpName, reply: Scripted): Decision {
    const key = opKey(branchId, op);
    const call = this.started.get(key) ?? { at: this.now, attempt: this.op(branchId, op).attempts };
    const decision = this.apply({
      type: 'result',
      branchId,
      op,
      attempt: call.attempt,
      startedAt: call.at,
      outcome: outcomeOf(reply),
    });
    return decision;
  }

  /** Applies one event at {@link Driver.now}, checks the invariants and records the step. */
  apply(event: MachineEvent): Decision {
    const before = this.state;
    deepFreeze(before.tx);
    deepFreeze(before.ops);
    const frozenText = JSON.stringify([before.tx, before.ops]);
    const flightBefore = sorted(before.inFlight);

    const decision = transition(before, event, { now: this.now, random: this.random });

    assert.equal(JSON.stringify([before.tx, before.ops]), frozenText, 'input state was mutated');
    assert.deepEqual(sorted(before.inFlight), flightBefore, 'input inFlight was mutated');
    const index = this.steps.length;
    const resultKey = event.type === 'result' ? opKey(event.branchId, event.op) : null;
    if (
      resultKey !== null &&
      event.type === 'result' &&
      before.inFlight.has(resultKey) &&
      !decision.rejection
    ) {
      this.started.delete(resultKey);
      this.lastReplyAt.set(resultKey, this.now);
      this.replies.push({
        key: resultKey,
        branchId: event.branchId,
        op: event.op,
        reply: replyOf(event.outcome),
        at: this.now,
        step: index,
      });
    }
    if (event.type === 'held' && before.inFlight.has(opKey(event.branchId, event.op))) {
      this.started.delete(opKey(event.branchId, event.op));
    }
    this.check(before, event, decision);
    for (const op of decision.dispatch) {
      const key = keyOf(op);
      this.started.set(key, { at: this.now, attempt: op.attempts });
      this.calls.push({
        key,
        branchId: op.branchId,
        op: op.op,
        url: op.url,
        attempt: op.attempts,
        at: this.now,
        step: index,
        status: decision.state.tx.status,
      });
    }
    this.steps.push({ index, event, now: this.now, before, decision });
    this.state = decision.state;
    return decision;
  }

  /** Every invariant of one transition, for every mode. */
  private check(before: DriveState, event: MachineEvent, decision: Decision): void {
    const after = decision.state;
    const where = `${event.type} at t=${this.now}`;
    if (decision.rejection) {
      assert.equal(after, before, `${where}: a rejection must leave the state as it was`);
      assert.equal(decision.changed, false);
      assert.deepEqual(
        [decision.dispatch, decision.alerts, decision.attempts, decision.changedOps],
        [[], [], [], []],
        `${where}: a rejection has no effects`,
      );
      return;
    }
    const { mode } = before.tx;

    // In flight: a call is never made twice at once, and the set is exactly what it must be.
    const resultKey = event.type === 'result' ? opKey(event.branchId, event.op) : null;
    // A held call ends like a reply, but was never made: its attempt is given back.
    const heldKey = event.type === 'held' ? opKey(event.branchId, event.op) : null;
    const flying = new Set(before.inFlight);
    const hadResult = resultKey !== null && flying.delete(resultKey);
    if (heldKey !== null && flying.delete(heldKey)) {
      this.dispatches.set(heldKey, (this.dispatches.get(heldKey) ?? 1) - 1);
    }
    const dispatched = decision.dispatch.map(keyOf);
    assert.equal(new Set(dispatched).size, dispatched.length, `${where}: op dispatched twice`);
    for (const key of dispatched) {
      assert.ok(!flying.has(key), `${where}: ${key} dispatched while still in flight`);
    }
    assert.deepEqual(sorted(after.inFlight), sorted([...flying, ...dispatched]), where);

    // Attempts: each dispatched op is a pending op of the new state counting this call.
    for (const op of decision.dispatch) {
      const key = keyOf(op);
      assert.deepEqual(op, findOp(after.ops, op.branchId, op.op), `${where}: ${key} not stored`);
      assert.equal(op.status, 'pending', `${where}: ${key} dispatched but ${op.status}`);
      if (event.type !== 'retry') {
        // No hot retry: an unsuccessful reply is followed by a delay (backoff or ongoing).
        assert.ok(
          (this.lastReplyAt.get(key) ?? -1) < this.now,
          `${where}: ${key} re-called at once`,
        );
      }
      this.dispatches.set(key, (this.dispatches.get(key) ?? 0) + 1);
    }
    for (const op of after.ops) {
      assert.equal(
        op.attempts,
        this.dispatches.get(keyOf(op)) ?? 0,
        `${where}: attempts of ${keyOf(op)}`,
      );
    }

    // History: a reply for an in-flight call is recorded once, with the call's attempt.
    if (event.type === 'result') {
      const recorded = decision.attempts.filter(
        (a) => a.op === event.op && a.branchId === event.branchId,
      );
      assert.equal(recorded.length, hadResult ? 1 : 0, `${where}: history of ${resultKey}`);
      if (hadResult) assert.equal(recorded[0]?.attempt, event.attempt);
    }

    // Ops never disappear, a finished op stays finished.
    for (const old of before.ops) {
      const now = findOp(after.ops, old.branchId, old.op);
      assert.ok(now, `${where}: ${keyOf(old)} disappeared`);
      if (old.status !== 'pending') assert.equal(now.status, old.status, `${where}: ${keyOf(old)}`);
      const givenBack = keyOf(old) === heldKey && before.inFlight.has(heldKey) ? 1 : 0;
      assert.ok(now.attempts >= old.attempts - givenBack);
    }

    // Status moves only along allowed edges; terminal states never change.
    const from = before.tx.status;
    const to = after.tx.status;
    if (event.type === 'resolve') {
      assert.equal(to, event.status, `${where}: resolve`);
    } else {
      assert.ok(reachable(mode, from, to), `${where}: ${mode} went ${from} → ${to}`);
    }
    if (isTerminal(from)) {
      assert.deepEqual(
        [to, after.tx.reason, after.tx.finishedAt, after.tx.parked],
        [from, before.tx.reason, before.tx.finishedAt, false],
        `${where}: a terminal transaction changed`,
      );
      assert.equal(decision.dispatch.length, 0, `${where}: dispatch after terminal`);
    }
    if (isTerminal(to)) {
      assert.notEqual(after.tx.finishedAt, null);
      assert.equal(after.tx.parked, false);
    }

    if (isTerminal(to)) assert.equal(after.tx.paused, false, `${where}: a terminal one is paused`);

    // nextAttemptAt is null exactly when nobody needs to look at the transaction (a paused
    // one waits for its operator).
    const idle =
      isTerminal(to) ||
      after.tx.parked ||
      after.tx.paused ||
      (to === 'prepared' && after.tx.deadlineAt === null);
    assert.equal(
      after.tx.nextAttemptAt === null,
      idle,
      `${where}: nextAttemptAt ${after.tx.nextAttemptAt}`,
    );
    if (after.inFlight.size > 0 && !idle) assert.equal(after.tx.nextAttemptAt, this.now);

    // Failure counting and the retry budget, against an independent model.
    this.modelFailures(before, event, hadResult);
    for (const op of after.ops) {
      assert.equal(
        op.failures,
        this.failures.get(keyOf(op)) ?? 0,
        `${where}: failures of ${keyOf(op)}`,
      );
    }
    this.checkBudget(before, event, decision, hadResult);

    // Parking: nothing runs while parked; only an operator (or the end) unparks.
    if (after.tx.parked)
      assert.equal(decision.dispatch.length, 0, `${where}: dispatch while parked`);
    if (before.tx.parked && !after.tx.parked) {
      const allowed =
        event.type === 'retry' || isTerminal(to) || (event.type === 'submit' && mode === 'msg');
      assert.ok(allowed, `${where}: unparked`);
    }
    if (event.type === 'retry') {
      // retry resumes: every pending op of the phase is called now (unless already in flight).
      assert.equal(after.tx.parked, false);
      for (const op of eligibleOps(after)) {
        if (op.attempts === 0 && op.nextAttemptAt > this.now) continue; // a delayed delivery
        assert.ok(after.inFlight.has(keyOf(op)), `${where}: retry did not resume ${keyOf(op)}`);
      }
    }
    if (after.tx.paused) {
      assert.deepEqual(decision.dispatch, [], `${where}: a paused transaction called out`);
    } else {
      assert.deepEqual(runnableOps(after, this.now), [], `${where}: runnable ops left behind`);
    }

    // Persistence: every changed op is in changedOps, and any change is flagged.
    const changedKeys = new Set(decision.changedOps.map(keyOf));
    let opsChanged = false;
    for (const op of after.ops) {
      const old = findOp(before.ops, op.branchId, op.op);
      if (old === undefined || JSON.stringify(old) !== JSON.stringify(op)) {
        opsChanged = true;
        assert.ok(
          changedKeys.has(keyOf(op)),
          `${where}: ${keyOf(op)} changed but not in changedOps`,
        );
      }
    }
    const strip = (s: DriveState) => ({ ...s.tx, nextAttemptAt: 0, updatedAt: 0 });
    const txChanged = JSON.stringify(strip(before)) !== JSON.stringify(strip(after));
    if (opsChanged || txChanged || decision.attempts.length > 0) {
      assert.equal(decision.changed, true, `${where}: change not flagged`);
    }

    this.checkNoBusyLoop(after, where);
  }

  private modelFailures(before: DriveState, event: MachineEvent, hadResult: boolean): void {
    if (event.type === 'retry') {
      for (const op of before.ops) if (op.status === 'pending') this.failures.set(keyOf(op), 0);
      return;
    }
    if (event.type !== 'result' || !hadResult) return;
    const op = findOp(before.ops, event.branchId, event.op);
    if (!op || op.status !== 'pending') return;
    const key = keyOf(op);
    const count = this.failures.get(key) ?? 0;
    const refusable =
      (before.tx.mode === 'saga' && op.op === 'action') ||
      op.op === 'check' ||
      isGoneConfirm(before, op);
    switch (event.outcome.kind) {
      case 'success':
        this.failures.set(key, 0);
        return;
      case 'ongoing':
        return;
      case 'failure':
        if (!refusable) this.failures.set(key, count + 1);
        return;
      case 'error':
        this.failures.set(key, count + 1);
        return;
    }
  }

  /** An op that exhausts its budget aborts (saga action) or parks, with an alert, if it still matters. */
  private checkBudget(
    before: DriveState,
    event: MachineEvent,
    decision: Decision,
    hadResult: boolean,
  ): void {
    const after = decision.state;
    const where = `${event.type} at t=${this.now}`;
    let exhausted: BranchOp | null = null;
    if (event.type === 'result' && hadResult) {
      const op = findOp(before.ops, event.branchId, event.op);
      const count = this.failures.get(opKey(event.branchId, event.op)) ?? 0;
      if (
        op &&
        op.status === 'pending' &&
        event.outcome.kind !== 'success' &&
        count >= budgetOf(before, op)
      ) {
        const counted = event.outcome.kind === 'error' || event.outcome.kind === 'failure';
        if (
          counted &&
          !(
            event.outcome.kind === 'failure' &&
            (op.op === 'check' || isSagaAction(before, op) || isGoneConfirm(before, op))
          )
        ) {
          exhausted = op;
        }
      }
    }
    const status = before.tx.status;
    if (exhausted && isSagaAction(before, exhausted)) {
      if (status === 'submitted') {
        assert.ok(
          ['aborting', 'failed'].includes(after.tx.status),
          `${where}: budget did not abort`,
        );
      }
      exhausted = null;
    }
    const matters =
      exhausted !== null &&
      !isTerminal(status) &&
      mustSucceedOp(before.tx.mode, status) === exhausted.op;
    if (matters && exhausted) {
      assert.equal(after.tx.parked, true, `${where}: ${keyOf(exhausted)} exhausted but not parked`);
      assert.deepEqual(
        decision.alerts.map((a) => [a.kind, a.branchId, a.op]),
        [['parked', exhausted.branchId, exhausted.op]],
        `${where}: parking alert`,
      );
    } else {
      assert.deepEqual(decision.alerts, [], `${where}: unexpected alert`);
      if (!before.tx.parked) assert.equal(after.tx.parked, false, `${where}: parked for nothing`);
    }
  }

  /**
   * `nextAttemptAt` is neither early nor late: waking a moment before it does nothing,
   * waking at it does something (no busy loop, nothing forgotten).
   */
  private checkNoBusyLoop(after: DriveState, where: string): void {
    const at = after.tx.nextAttemptAt;
    if (at === null || after.inFlight.size > 0) return;
    assert.ok(at >= this.now, `${where}: nextAttemptAt in the past`);
    const probe = (now: number) => transition(after, { type: 'wake' }, { now, random: () => 0.5 });
    const due = probe(at);
    assert.ok(
      due.dispatch.length > 0 || due.state.tx.status !== after.tx.status,
      `${where}: waking at nextAttemptAt=${at} does nothing (busy loop or stuck)`,
    );
    if (at > this.now) {
      const early = probe(at - 1);
      assert.ok(
        early.dispatch.length === 0 && early.state.tx.status === after.tx.status,
        `${where}: work was due before nextAttemptAt=${at}`,
      );
    }
  }
}

function isSagaAction(state: DriveState, op: BranchOp): boolean {
  return state.tx.mode === 'saga' && op.op === 'action';
}

function replyOf(outcome: Outcome): Scripted {
  if (outcome.kind === 'error') return outcome.httpStatus === null ? 'timeout' : 'error';
  return outcome.kind;
}
