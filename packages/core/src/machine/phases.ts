import type { BranchOp, OpName } from '../protocol.js';
import { opKey } from '../protocol.js';
import { rulesOf } from './mode-rules.js';
import type { DriveState } from './types.js';

/**
 * Which ops a transaction works on in its current phase, and when the phase is done.
 * Pure queries over a {@link DriveState}; the transition uses them to decide.
 */

/** Ops run forward in `submitted`: saga/msg/notify actions, tcc confirms, xa commits. */
export function forwardOpName(state: DriveState): OpName {
  return rulesOf(state.tx.mode).forward;
}

/** Ops run backward in `aborting`: saga compensations, tcc cancels, xa rollbacks. */
export function backwardOpName(state: DriveState): OpName | null {
  return rulesOf(state.tx.mode).backward;
}

/** Finds an op by key. */
export function findOp(
  ops: readonly BranchOp[],
  branchId: string,
  op: OpName,
): BranchOp | undefined {
  return ops.find((o) => o.branchId === branchId && o.op === op);
}

function isInFlight(state: DriveState, op: BranchOp): boolean {
  return state.inFlight.has(opKey(op.branchId, op.op));
}

/** A saga step counts as started once its action was dispatched at least once. */
function started(action: BranchOp | undefined): boolean {
  return action !== undefined && action.attempts > 0;
}

/**
 * Pending ops of the current phase whose preconditions hold, regardless of their retry
 * time and of calls in flight.
 */
export function eligibleOps(state: DriveState): BranchOp[] {
  const { tx, ops } = state;
  if (tx.parked) return [];
  if (tx.status === 'submitted') {
    const name = forwardOpName(state);
    return ops.filter(
      (o) =>
        o.op === name &&
        o.status === 'pending' &&
        o.dependsOn.every((dep) => findOp(ops, dep, 'action')?.status === 'succeeded'),
    );
  }
  if (tx.status === 'aborting') {
    if (rulesOf(tx.mode).backwardOrder === 'reverse-dependencies') {
      return ops.filter((o) => compensationReady(state, o));
    }
    const backward = backwardOpName(state);
    return ops.filter((o) => o.op === backward && o.status === 'pending');
  }
  if (tx.status === 'prepared' && rulesOf(tx.mode).onPreparedTimeout === 'check') {
    return ops.filter((o) => o.op === 'check' && o.status === 'pending');
  }
  return [];
}

/**
 * A saga compensation may run when its step started, its action is not in flight, and
 * every step depending on it, directly or through steps with nothing to undo, is already
 * compensated (or never started): compensations run in reverse dependency order.
 */
function compensationReady(state: DriveState, op: BranchOp): boolean {
  if (op.op !== 'compensate' || op.status !== 'pending') return false;
  const action = findOp(state.ops, op.branchId, 'action');
  if (!started(action) || (action && isInFlight(state, action))) return false;
  return dependentsDone(state, op.branchId);
}

/** Every step depending on `branchId` needs no (more) compensation. */
function dependentsDone(
  state: DriveState,
  branchId: string,
  memo = new Map<string, boolean>(),
): boolean {
  return state.ops
    .filter((o) => o.op === 'action' && o.dependsOn.includes(branchId))
    .every((dependent) => backwardDone(state, dependent.branchId, memo));
}

/**
 * A saga step needs no (more) compensation. A started step with nothing to undo counts
 * as done only once the steps after it are, so order carries through it (a → b → c with
 * no compensation for b still undoes c before a). `memo` keeps wide DAGs linear.
 */
function backwardDone(
  state: DriveState,
  branchId: string,
  memo = new Map<string, boolean>(),
): boolean {
  let done = memo.get(branchId);
  if (done === undefined) {
    done = stepUndone(state, branchId, memo);
    memo.set(branchId, done);
  }
  return done;
}

function stepUndone(state: DriveState, branchId: string, memo: Map<string, boolean>): boolean {
  const action = findOp(state.ops, branchId, 'action');
  if (!started(action)) return true;
  if (action && isInFlight(state, action)) return false;
  const compensate = findOp(state.ops, branchId, 'compensate');
  if (compensate) return compensate.status === 'succeeded';
  return dependentsDone(state, branchId, memo);
}

/**
 * Every forward op succeeded, or, where a refused forward op means its participant is
 * gone (the `forwardGone` rule), every forward op has ended one way or the other.
 */
export function forwardDone(state: DriveState): boolean {
  const name = forwardOpName(state);
  const ended = rulesOf(state.tx.mode).forwardGone
    ? (o: BranchOp) => o.status !== 'pending'
    : (o: BranchOp) => o.status === 'succeeded';
  return state.ops.filter((o) => o.op === name).every(ended);
}

/**
 * Why a transaction whose forward ops have all ended did not succeed, or null when every
 * one succeeded: only modes whose participants can be gone end this way.
 */
export function forwardShortfall(state: DriveState): string | null {
  const name = forwardOpName(state);
  const ops = state.ops.filter((o) => o.op === name);
  const gone = ops.filter((o) => o.status !== 'succeeded').map((o) => o.branchId);
  if (gone.length === 0) return null;
  if (gone.length === ops.length) return `every ${name} ended cancelled or timed out`;
  return `heuristic outcome: ${gone.join(', ')} did not ${name} while the others did`;
}

/** Nothing is left to undo and no call is in flight. */
export function backwardComplete(state: DriveState): boolean {
  if (state.inFlight.size > 0) return false;
  if (rulesOf(state.tx.mode).backwardOrder === 'reverse-dependencies') {
    const memo = new Map<string, boolean>();
    return state.ops
      .filter((o) => o.op === 'action')
      .every((a) => backwardDone(state, a.branchId, memo));
  }
  const backward = backwardOpName(state);
  return state.ops.filter((o) => o.op === backward).every((o) => o.status === 'succeeded');
}

/** Eligible ops that may be called right now. */
export function runnableOps(state: DriveState, now: number): BranchOp[] {
  return eligibleOps(state).filter((o) => !isInFlight(state, o) && o.nextAttemptAt <= now);
}

/** Ops whose failure is a business refusal that aborts the transaction (saga actions). */
export function isRefusable(mode: DriveState['tx']['mode'], op: OpName): boolean {
  const rules = rulesOf(mode);
  return rules.forwardRefusable && op === rules.forward;
}

/** Forward ops whose refusal means their participant is gone (tcc-rest confirms). */
export function isGone(mode: DriveState['tx']['mode'], op: OpName): boolean {
  const rules = rulesOf(mode);
  return rules.forwardGone && op === rules.forward;
}
