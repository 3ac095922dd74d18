import type { Mode, OpName } from '../protocol.js';

/**
 * What distinguishes one mode from another, as data: the transition and the phase
 * queries read these rules instead of testing mode names, so a mode is one entry here.
 */
export interface ModeRules {
  /** Op run forward while `submitted`. */
  readonly forward: OpName;
  /** Op run backward while `aborting`; null for modes that never compensate. */
  readonly backward: OpName | null;
  /** Whether the transaction is created `prepared` and waits for the client's submit. */
  readonly startsPrepared: boolean;
  /** Whether the client registers branches while prepared (tcc, xa). */
  readonly registersBranches: boolean;
  /** What a passed prepared deadline does: abort, ask the producer (msg), or nothing. */
  readonly onPreparedTimeout: 'abort' | 'check' | null;
  /** What a client abort of a prepared transaction leads to. */
  readonly abortTo: 'aborting' | 'failed' | null;
  /** Whether a 409 from a forward op is a business refusal that aborts (saga actions). */
  readonly forwardRefusable: boolean;
  /**
   * What a forward op past its retry budget does when it cannot abort: park for an
   * operator (must-succeed ops), or fail the transaction (best-effort notifications).
   */
  readonly onExhausted: 'park' | 'fail';
  /**
   * Where transactions of this mode are created: the transactions or the notifications
   * API, or the TCC-for-REST coordinator routes.
   */
  readonly createdThrough: 'transactions' | 'notifications' | 'tcc-rest';
  /** Whether a step may carry its own compensation (saga steps). */
  readonly stepsCompensate: boolean;
  /**
   * How the backward ops run while `aborting`: each step's compensation once every step
   * depending on it is undone (reverse dependency order), or every backward op at once.
   */
  readonly backwardOrder: 'reverse-dependencies' | 'all-at-once';
  /**
   * Whether the transaction's deadline still counts once submitted: a saga's timeout stops
   * forward work; a submitted tcc, xa or msg must finish whatever the time.
   */
  readonly deadlineWhileSubmitted: boolean;
  /**
   * Whether forward ops may be delivered to a broker target: only deliveries that need no
   * answer beyond the broker's confirmation (msg steps, notifications).
   */
  readonly allowsBrokerTargets: boolean;
  /**
   * Whether a refusal of a forward op means its participant is gone (its reservation
   * expired or was cancelled): the op ends failed, the others go on, and the transaction
   * ends failed unless every forward op succeeded (a heuristic outcome when some did).
   */
  readonly forwardGone: boolean;
  /**
   * How branch calls are made: the native protocol (`POST` with Accord headers, 409 a
   * refusal) or TCC for REST (`PUT` to confirm, `DELETE` to cancel, 404 gone).
   */
  readonly calling: 'accord' | 'tcc-rest';
  /**
   * Whether the forward ops may be delayed (`delayMs` / `deliverAt`): deliveries that
   * nobody waits on (msg steps, notifications) become due a while after the submit.
   */
  readonly delaysDelivery: boolean;
  /**
   * Whether branches take global row locks (`resource:table:pk` keys) when they register,
   * held until the transaction ends (at mode), so two open transactions never change
   * the same row.
   */
  readonly holdsRowLocks: boolean;
}

/** xa: the databases prepare; phase two commits or rolls back every branch. */
const XA_RULES: ModeRules = {
  forward: 'commit',
  backward: 'rollback',
  startsPrepared: true,
  registersBranches: true,
  onPreparedTimeout: 'abort',
  abortTo: 'aborting',
  forwardRefusable: false,
  onExhausted: 'park',
  createdThrough: 'transactions',
  stepsCompensate: false,
  backwardOrder: 'all-at-once',
  deadlineWhileSubmitted: false,
  allowsBrokerTargets: false,
  forwardGone: false,
  calling: 'accord',
  delaysDelivery: false,
  holdsRowLocks: false,
};

const RULES: Readonly<Record<Mode, ModeRules>> = {
  saga: {
    forward: 'action',
    backward: 'compensate',
    startsPrepared: false,
    registersBranches: false,
    onPreparedTimeout: null,
    abortTo: null,
    forwardRefusable: true,
    onExhausted: 'park',
    createdThrough: 'transactions',
    stepsCompensate: true,
    backwardOrder: 'reverse-dependencies',
    deadlineWhileSubmitted: true,
    allowsBrokerTargets: false,
    forwardGone: false,
    calling: 'accord',
    delaysDelivery: false,
    holdsRowLocks: false,
  },
  tcc: {
    forward: 'confirm',
    backward: 'cancel',
    startsPrepared: true,
    registersBranches: true,
    onPreparedTimeout: 'abort',
    abortTo: 'aborting',
    forwardRefusable: false,
    onExhausted: 'park',
    createdThrough: 'transactions',
    stepsCompensate: false,
    backwardOrder: 'all-at-once',
    deadlineWhileSubmitted: false,
    allowsBrokerTargets: false,
    forwardGone: false,
    calling: 'accord',
    delaysDelivery: false,
    holdsRowLocks: false,
  },
  xa: XA_RULES,
  msg: {
    forward: 'action',
    backward: null,
    startsPrepared: true,
    registersBranches: false,
    onPreparedTimeout: 'check',
    abortTo: 'failed',
    forwardRefusable: false,
    onExhausted: 'park',
    createdThrough: 'transactions',
    stepsCompensate: false,
    backwardOrder: 'all-at-once',
    deadlineWhileSubmitted: false,
    allowsBrokerTargets: true,
    forwardGone: false,
    calling: 'accord',
    delaysDelivery: true,
    holdsRowLocks: false,
  },
  notify: {
    forward: 'action',
    backward: null,
    startsPrepared: false,
    registersBranches: false,
    onPreparedTimeout: null,
    abortTo: null,
    forwardRefusable: false,
    onExhausted: 'fail',
    createdThrough: 'notifications',
    stepsCompensate: false,
    backwardOrder: 'all-at-once',
    deadlineWhileSubmitted: false,
    allowsBrokerTargets: true,
    forwardGone: false,
    calling: 'accord',
    delaysDelivery: true,
    holdsRowLocks: false,
  },
  'tcc-rest': {
    forward: 'confirm',
    backward: 'cancel',
    startsPrepared: true,
    registersBranches: true,
    onPreparedTimeout: 'abort',
    abortTo: 'aborting',
    forwardRefusable: false,
    onExhausted: 'park',
    createdThrough: 'tcc-rest',
    stepsCompensate: false,
    backwardOrder: 'all-at-once',
    deadlineWhileSubmitted: false,
    allowsBrokerTargets: false,
    forwardGone: true,
    calling: 'tcc-rest',
    delaysDelivery: false,
    holdsRowLocks: false,
  },
  // AT drives phase two exactly as XA does; what it adds is the global row locks.
  at: { ...XA_RULES, holdsRowLocks: true },
};

/** The rules of a mode. */
export function rulesOf(mode: Mode): ModeRules {
  return RULES[mode];
}

/**
 * The modes whose rules say yes to `has`, for messages such as "is only used by sagas".
 *
 * @example
 * modesWhere((r) => r.stepsCompensate); // ['saga']
 */
export function modesWhere(has: (rules: ModeRules) => boolean): Mode[] {
  return (Object.keys(RULES) as Mode[]).filter((mode) => has(RULES[mode]));
}

/** The two ops a registered branch of a tcc, xa or at transaction carries, forward first. */
export function registeredOps(mode: Mode): readonly [OpName, OpName] | null {
  const rules = RULES[mode];
  if (!rules.registersBranches || rules.backward === null) return null;
  return [rules.forward, rules.backward];
}
