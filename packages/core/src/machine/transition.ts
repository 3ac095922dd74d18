import { backoffDelay } from '../backoff.js';
import { deliveryDueAt } from '../delivery-delay.js';
import { AccordError, ValidationError } from '../errors.js';
import type {
  AttemptRecord,
  BranchOp,
  OperatorAction,
  Outcome,
  TransactionRecord,
} from '../protocol.js';
import { CHECK_BRANCH_ID, isTerminal, opKey } from '../protocol.js';
import {
  backwardComplete,
  eligibleOps,
  findOp,
  forwardDone,
  forwardShortfall,
  isGone,
  isRefusable,
  runnableOps,
} from './phases.js';
import { registeredOps, rulesOf } from './mode-rules.js';
import type { Alert, Decision, DriveState, MachineContext, MachineEvent } from './types.js';

/** Mutable working copy of a state during one transition. */
interface Draft {
  tx: TransactionRecord;
  ops: BranchOp[];
  inFlight: Set<string>;
  changedKeys: Set<string>;
  txChanged: boolean;
  attempts: AttemptRecord[];
  alerts: Alert[];
}

/**
 * The state machine of every mode: applies one event at `ctx.now`, then advances the
 * transaction as far as it can without I/O (timeouts, phase changes) and picks the ops
 * to call next. Pure: the input state is not modified.
 *
 * The caller persists `changedOps`, `attempts` and the new transaction fields, and only
 * then performs `dispatch`, so a crash never loses the fact that a call may have been
 * made.
 */
export function transition(state: DriveState, event: MachineEvent, ctx: MachineContext): Decision {
  const draft: Draft = {
    tx: { ...state.tx },
    ops: state.ops.map((o) => ({ ...o })),
    inFlight: new Set(state.inFlight),
    changedKeys: new Set(),
    txChanged: false,
    attempts: [],
    alerts: [],
  };
  const rejection = apply(draft, event, ctx);
  if (rejection) return unchanged(state, rejection);
  const dispatch = advance(draft, ctx);
  return finish(draft, dispatch, ctx);
}

function unchanged(state: DriveState, rejection: AccordError): Decision {
  return {
    state,
    changed: false,
    changedOps: [],
    attempts: [],
    dispatch: [],
    alerts: [],
    rejection,
  };
}

function setStatus(
  d: Draft,
  status: TransactionRecord['status'],
  reason: string | null,
  now: number,
) {
  d.tx.status = status;
  if (reason !== null) d.tx.reason = reason;
  if (isTerminal(status)) {
    d.tx.finishedAt = now;
    d.tx.parked = false;
  }
  if (
    status !== 'prepared' &&
    !(status === 'submitted' && rulesOf(d.tx.mode).deadlineWhileSubmitted)
  ) {
    d.tx.deadlineAt = null;
  }
  d.txChanged = true;
}

function touch(d: Draft, op: BranchOp, now: number) {
  op.updatedAt = now;
  d.changedKeys.add(opKey(op.branchId, op.op));
}

function invalidState(d: Draft, action: string): AccordError {
  return new AccordError(
    'INVALID_STATE',
    `cannot ${action} a ${d.tx.mode} transaction that is ${d.tx.status}`,
    { gid: d.tx.gid, status: d.tx.status },
  );
}

/** Applies the event itself; returns a rejection if it is not allowed now. */
function apply(d: Draft, event: MachineEvent, ctx: MachineContext): AccordError | null {
  const { tx } = d;
  switch (event.type) {
    case 'wake':
      return null;
    case 'submit':
      if (tx.status === 'submitted' || tx.status === 'succeeded') return null;
      if (tx.status !== 'prepared') return invalidState(d, 'submit');
      setStatus(d, 'submitted', null, ctx.now);
      holdUntilDue(d, ctx.now);
      // Only a msg check-back can park a prepared transaction; the client's submit
      // answers the question it kept asking, so delivery starts now.
      tx.parked = false;
      return null;
    case 'abort': {
      const abortTo = rulesOf(tx.mode).abortTo;
      if (abortTo === null) return invalidState(d, 'abort');
      if (tx.status === 'aborting' || tx.status === 'failed') return null;
      if (tx.status !== 'prepared') return invalidState(d, 'abort');
      setStatus(d, abortTo, event.reason, ctx.now);
      if (event.actor !== undefined) {
        d.attempts.push(auditEntry(tx.gid, 'abort', event.reason, ctx.now, event.actor));
      }
      return null;
    }
    case 'register':
      return register(d, event.ops, ctx.now);
    case 'result':
      onResult(d, event, ctx);
      return null;
    case 'held':
      onHeld(d, event, ctx.now);
      return null;
    case 'retry':
      if (isTerminal(tx.status)) return invalidState(d, 'retry');
      tx.parked = false;
      d.txChanged = true;
      for (const op of d.ops) {
        // An op never tried yet waits for its delivery's due time: a retry does not cut a
        // delay the client asked for short.
        const waiting = op.nextAttemptAt > ctx.now && op.attempts > 0;
        if (op.status === 'pending' && (op.failures > 0 || waiting)) {
          op.failures = 0;
          op.nextAttemptAt = ctx.now;
          touch(d, op, ctx.now);
        }
      }
      d.attempts.push(
        auditEntry(
          tx.gid,
          'retry',
          event.reason ?? 'operator asked to retry now',
          ctx.now,
          event.actor ?? null,
        ),
      );
      return null;
    case 'resolve':
      if (isTerminal(tx.status)) return invalidState(d, 'resolve');
      setStatus(d, event.status, `resolved by operator: ${event.reason}`, ctx.now);
      // A resolved transaction is over: a pause no longer means anything.
      tx.paused = false;
      d.attempts.push(
        auditEntry(
          tx.gid,
          'resolve',
          `${event.status}: ${event.reason}`,
          ctx.now,
          event.actor ?? null,
        ),
      );
      return null;
    case 'pause':
      if (isTerminal(tx.status)) return invalidState(d, 'pause');
      if (tx.paused) return null;
      tx.paused = true;
      d.txChanged = true;
      d.attempts.push(auditEntry(tx.gid, 'pause', event.reason, ctx.now, event.actor ?? null));
      return null;
    case 'resume':
      if (isTerminal(tx.status)) return invalidState(d, 'resume');
      if (!tx.paused) return null;
      tx.paused = false;
      d.txChanged = true;
      makeWaitingOpsDue(d, ctx.now);
      d.attempts.push(auditEntry(tx.gid, 'resume', event.reason, ctx.now, event.actor ?? null));
      return null;
  }
}

/**
 * Pending ops waiting out a retry delay become due now (their failure counts stay). An
 * op never tried yet keeps its time: a delivery delay the client asked for still holds.
 */
function makeWaitingOpsDue(d: Draft, now: number): void {
  for (const op of d.ops) {
    if (op.status === 'pending' && op.attempts > 0 && op.nextAttemptAt > now) {
      op.nextAttemptAt = now;
      touch(d, op, now);
    }
  }
}

/**
 * The transaction has just been submitted (by its client, or by a check-back that found
 * the local transaction committed): when its delivery is delayed, the forward ops not
 * tried yet become due at the due time instead of now. Stored with the ops, so the delay
 * outlives the process; the recovery path claims the transaction when it falls due.
 */
function holdUntilDue(d: Draft, now: number): void {
  const rules = rulesOf(d.tx.mode);
  if (!rules.delaysDelivery) return;
  const due = deliveryDueAt(d.tx.options, now);
  if (due === null || due <= now) return;
  for (const op of d.ops) {
    if (op.op !== rules.forward || op.status !== 'pending' || op.attempts > 0) continue;
    op.nextAttemptAt = Math.max(op.nextAttemptAt, due);
    touch(d, op, now);
  }
}

function auditEntry(
  gid: string,
  op: OperatorAction,
  message: string,
  now: number,
  actor: string | null,
): AttemptRecord {
  return {
    gid,
    branchId: '-',
    op,
    attempt: 0,
    startedAt: now,
    finishedAt: now,
    outcome: 'success',
    httpStatus: null,
    message,
    actor,
  };
}

function register(d: Draft, ops: readonly BranchOp[], now: number): AccordError | null {
  const expected = registeredOps(d.tx.mode);
  if (expected === null) return invalidState(d, 'register a branch on');
  const foreign = ops.find((op) => !expected.includes(op.op));
  if (foreign) {
    return new ValidationError([
      {
        path: `/${foreign.op}`,
        message: `is not an op of ${d.tx.mode} branches, which register ${expected.join(' and ')}`,
      },
    ]);
  }
  const fresh: BranchOp[] = [];
  for (const op of ops) {
    const existing = findOp(d.ops, op.branchId, op.op);
    if (!existing) {
      fresh.push(op);
      continue;
    }
    if (existing.url !== op.url || existing.payload !== op.payload) {
      return new AccordError(
        'BRANCH_CONFLICT',
        `branch ${op.branchId} is already registered with a different ${op.op} target or payload`,
        { gid: d.tx.gid, branchId: op.branchId },
      );
    }
  }
  if (fresh.length === 0) return null; // idempotent re-registration
  if (d.tx.status !== 'prepared') return invalidState(d, 'register a branch on');
  const nextSeq = d.ops.reduce((max, o) => Math.max(max, o.seq + 1), 0);
  for (const op of fresh) {
    const added = { ...op, seq: nextSeq, updatedAt: now };
    d.ops.push(added);
    touch(d, added, now);
  }
  d.txChanged = true;
  return null;
}

function describe(outcome: Outcome): string {
  const status = outcome.httpStatus === null ? '' : `HTTP ${outcome.httpStatus}`;
  const detail = outcome.message ?? '';
  return [status, detail].filter(Boolean).join(': ') || outcome.kind;
}

function onResult(
  d: Draft,
  event: Extract<MachineEvent, { type: 'result' }>,
  ctx: MachineContext,
): void {
  const key = opKey(event.branchId, event.op);
  if (!d.inFlight.delete(key)) return; // not ours (stale or duplicate report)
  const op = findOp(d.ops, event.branchId, event.op);
  if (!op) return;
  const { outcome } = event;
  d.attempts.push({
    gid: d.tx.gid,
    branchId: op.branchId,
    op: op.op,
    attempt: event.attempt,
    startedAt: event.startedAt,
    finishedAt: ctx.now,
    outcome: outcome.kind,
    httpStatus: outcome.httpStatus,
    message: outcome.message,
    actor: null,
  });
  if (op.status !== 'pending') return;
  touch(d, op, ctx.now);
  const label = `${op.op} of branch ${op.branchId}`;

  if (outcome.kind === 'success') {
    op.status = 'succeeded';
    op.failures = 0;
    if (op.op === 'check' && d.tx.status === 'prepared') {
      setStatus(d, 'submitted', null, ctx.now);
      holdUntilDue(d, ctx.now);
    }
    return;
  }
  if (outcome.kind === 'ongoing') {
    op.nextAttemptAt = ctx.now + d.tx.options.retry.ongoingDelayMs;
    return;
  }
  op.lastError = {
    httpStatus: outcome.httpStatus,
    message: outcome.message ?? outcome.kind,
    at: ctx.now,
  };

  if (outcome.kind === 'failure' && op.op === 'check') {
    op.status = 'failed';
    if (d.tx.status === 'prepared') {
      setStatus(d, 'failed', 'check-back: the local transaction did not commit', ctx.now);
    }
    return;
  }
  if (outcome.kind === 'failure' && isGone(d.tx.mode, op.op)) {
    // The participant's reservation expired or was cancelled: nothing left to confirm.
    op.status = 'failed';
    return;
  }
  if (outcome.kind === 'failure' && isRefusable(d.tx.mode, op.op)) {
    op.status = 'failed';
    if (d.tx.status === 'submitted') {
      setStatus(d, 'aborting', `${label} refused: ${describe(outcome)}`, ctx.now);
    }
    return;
  }
  // Unknown outcome, or a refusal of an op that must succeed: retry with backoff (or
  // on the transaction's schedule).
  op.failures += 1;
  const delay = retryDelay(d.tx, op, ctx);
  if (delay !== null) {
    op.nextAttemptAt = ctx.now + delay;
    return;
  }
  const reason = `${label} failed ${op.failures} times in a row; last: ${describe(outcome)}`;
  if (isRefusable(d.tx.mode, op.op)) {
    // A forward step that never got through: give up and compensate (its action may have run).
    if (d.tx.status === 'submitted') setStatus(d, 'aborting', reason, ctx.now);
    return;
  }
  if (rulesOf(d.tx.mode).onExhausted === 'fail') {
    // Best effort: a delivery nobody acknowledged ends the notification, loudly.
    if (d.tx.status !== 'submitted') return;
    op.status = 'failed';
    setStatus(d, 'failed', reason, ctx.now);
    d.alerts.push({ kind: 'failed', gid: d.tx.gid, branchId: op.branchId, op: op.op, reason });
    return;
  }
  // A late reply to a call the transaction no longer needs (it was resolved by an
  // operator, or the client decided a msg while its check-back was out) parks nothing.
  if (isTerminal(d.tx.status) || (op.op === 'check' && d.tx.status !== 'prepared')) return;
  d.tx.parked = true;
  d.tx.reason = reason;
  d.txChanged = true;
  d.alerts.push({ kind: 'parked', gid: d.tx.gid, branchId: op.branchId, op: op.op, reason });
}

/**
 * A dispatched call that never went out: the op is no longer in flight, its attempt is
 * given back (it was counted at dispatch) and it waits until `until`; no history entry,
 * no failure, so the retry budget is untouched however long the participant stays paused.
 */
function onHeld(d: Draft, event: Extract<MachineEvent, { type: 'held' }>, now: number): void {
  if (!d.inFlight.delete(opKey(event.branchId, event.op))) return; // stale or duplicate
  const op = findOp(d.ops, event.branchId, event.op);
  if (!op || op.status !== 'pending') return;
  if (op.attempts === event.attempt) op.attempts -= 1;
  op.nextAttemptAt = Math.max(op.nextAttemptAt, event.until);
  touch(d, op, now);
}

/**
 * Moves the transaction forward as far as possible without I/O and marks the ops to
 * call now as dispatched.
 */
function advance(d: Draft, ctx: MachineContext): BranchOp[] {
  const { tx } = d;
  for (;;) {
    if (isTerminal(tx.status) || tx.parked || tx.paused) return [];
    const deadlinePassed = tx.deadlineAt !== null && ctx.now >= tx.deadlineAt;
    if (tx.status === 'prepared') {
      if (!deadlinePassed) return [];
      const onTimeout = rulesOf(tx.mode).onPreparedTimeout;
      if (onTimeout === 'abort') {
        setStatus(d, 'aborting', 'timed out while prepared', ctx.now);
        continue;
      }
      if (onTimeout === 'check') {
        ensureCheckOp(d, ctx.now);
        break;
      }
      return [];
    }
    if (tx.status === 'submitted') {
      // Done before timed out: the saga timeout stops forward work, and when the last
      // reply arrives at or after the deadline there is none left to stop.
      if (forwardDone(view(d)) && d.inFlight.size === 0) {
        const shortfall = forwardShortfall(view(d));
        setStatus(d, shortfall === null ? 'succeeded' : 'failed', shortfall, ctx.now);
        continue;
      }
      if (rulesOf(tx.mode).deadlineWhileSubmitted && deadlinePassed) {
        setStatus(d, 'aborting', `${tx.mode} timed out`, ctx.now);
        continue;
      }
      break;
    }
    if (tx.status === 'aborting') {
      if (backwardComplete(view(d))) {
        setStatus(d, 'failed', null, ctx.now);
        continue;
      }
      break;
    }
    return [];
  }
  const dispatch = runnableOps(view(d), ctx.now);
  for (const op of dispatch) {
    op.attempts += 1;
    d.inFlight.add(opKey(op.branchId, op.op));
    touch(d, op, ctx.now);
  }
  return dispatch;
}

/**
 * Delay before the next attempt of an op that just failed for the `op.failures`-th time
 * in a row, or null when its budget is spent. A notification's schedule lists the
 * delays themselves; everything else backs off exponentially up to its attempt budget.
 */
function retryDelay(tx: TransactionRecord, op: BranchOp, ctx: MachineContext): number | null {
  const schedule = tx.options.schedule;
  if (schedule !== undefined) return schedule[op.failures - 1] ?? null;
  const budget = op.maxAttempts ?? tx.options.retry.maxAttempts;
  if (op.failures >= budget) return null;
  return backoffDelay(tx.options.retry, op.failures, ctx.random());
}

function ensureCheckOp(d: Draft, now: number): void {
  if (findOp(d.ops, CHECK_BRANCH_ID, 'check') || d.tx.checkUrl === null) return;
  const check: BranchOp = {
    branchId: CHECK_BRANCH_ID,
    op: 'check',
    url: d.tx.checkUrl,
    payload: '',
    seq: -1,
    dependsOn: [],
    maxAttempts: null,
    status: 'pending',
    attempts: 0,
    failures: 0,
    nextAttemptAt: now,
    lastError: null,
    updatedAt: now,
  };
  d.ops.push(check);
  touch(d, check, now);
}

function view(d: Draft): DriveState {
  return { tx: d.tx, ops: d.ops, inFlight: d.inFlight };
}

/**
 * When the recovery path should look at the transaction next if its owner lets go (or
 * dies): now while calls are in flight, else the earliest retry or deadline.
 */
export function nextAttemptAt(state: DriveState, now: number): number | null {
  const { tx } = state;
  // Paused: the recovery path must not find it, even with calls out (their replies are
  // still recorded by whoever holds it; a new owner calls them again after resume).
  if (isTerminal(tx.status) || tx.parked || tx.paused) return null;
  if (state.inFlight.size > 0) return now;
  const times = eligibleOps(state).map((o) => o.nextAttemptAt);
  // A passed msg deadline has been acted on once the check op exists: from then on the
  // check's own retry time counts (else a check in backoff would be due again at once).
  const rules = rulesOf(tx.mode);
  const checking =
    rules.onPreparedTimeout === 'check' &&
    findOp(state.ops, CHECK_BRANCH_ID, 'check') !== undefined;
  const deadlineCounts = tx.status === 'prepared' || rules.deadlineWhileSubmitted;
  if (tx.deadlineAt !== null && deadlineCounts && !checking) {
    times.push(tx.deadlineAt);
  }
  if (times.length === 0) {
    // A prepared tcc/msg without a timeout waits for its client; anything else would be
    // stuck, so look again soon rather than never.
    return tx.status === 'prepared' ? null : now + tx.options.retry.firstDelayMs;
  }
  return Math.max(now, Math.min(...times));
}

function finish(d: Draft, dispatch: BranchOp[], ctx: MachineContext): Decision {
  const state: DriveState = { tx: d.tx, ops: d.ops, inFlight: d.inFlight };
  const changedOps = d.ops.filter((o) => d.changedKeys.has(opKey(o.branchId, o.op)));
  const changed = d.txChanged || changedOps.length > 0 || d.attempts.length > 0;
  if (changed) {
    d.tx.updatedAt = ctx.now;
  }
  d.tx.nextAttemptAt = nextAttemptAt(state, ctx.now);
  return {
    state,
    changed,
    changedOps,
    attempts: d.attempts,
    dispatch,
    alerts: d.alerts,
    rejection: null,
  };
}
