/**
 * Drives the transactions this instance holds leases on: feeds events to the pure state
 * machine one at a time per transaction, persists each decision (fenced by the lease),
 * and only then performs the branch calls it asks for.
 */
import type {
  BranchOp,
  Outcome,
  Clock,
  Decision,
  DriveState,
  LeaseRef,
  MachineEvent,
  Store,
  TransactionSnapshot,
} from '@accord/core';
import { AccordError, isTerminal, rulesOf, transition } from '@accord/core';
import type { BranchCall } from './branch-call.js';
import type { Admission, CallGate } from './call-gate.js';
import { openGate } from './call-gate.js';
import type { CrashPoints } from './crash-points.js';
import type { GroupCommitter } from './group-committer.js';
import { callDeadline, LeaseCalls } from './lease-calls.js';
import type { EngineObserver } from './observer.js';

/** What the driver needs from the rest of the server. */
export interface DriverDeps {
  readonly store: Store;
  readonly committer: GroupCommitter;
  readonly caller: BranchCall;
  /** Holds calls back for paused or capped participants; none: every call goes out. */
  readonly gate?: CallGate;
  readonly clock: Clock;
  readonly random: () => number;
  /** This instance's lease owner id. */
  readonly owner: string;
  readonly leaseMs: number;
  readonly crash: CrashPoints;
  readonly observer: EngineObserver;
}

interface Active {
  state: DriveState;
  readonly fence: number;
  leaseUntil: number;
  /**
   * Set while the write that frees the lease is on its way: a renewal that finds the
   * lease gone meanwhile saw that write land, not a takeover, and the write's own result
   * says whether it applied.
   */
  releasing: boolean;
  /** The branch calls open under this lease; they end with it. */
  readonly calls: LeaseCalls;
  /** Serialises events of one transaction. */
  chain: Promise<unknown>;
}

type TerminalListener = (snapshot: TransactionSnapshot) => void;

/** The in-process executor of the state machine. */
export class Driver {
  private readonly active = new Map<string, Active>();
  private readonly listeners = new Map<string, Set<TerminalListener>>();
  private renewal: Promise<void> | null = null;

  constructor(private readonly deps: DriverDeps) {}

  /** Transactions currently held. */
  get size(): number {
    return this.active.size;
  }

  /** Whether this instance holds the transaction right now. */
  holds(gid: string): boolean {
    return this.active.has(gid);
  }

  /**
   * Takes over a snapshot this instance just claimed and applies `event` to it.
   * Resolves to the decision, or undefined if the lease was lost meanwhile.
   */
  adopt(
    snapshot: TransactionSnapshot,
    event: MachineEvent = { type: 'wake' },
  ): Promise<Decision | undefined> {
    const held = this.active.get(snapshot.tx.gid);
    // A claim with a newer fence supersedes what we held: that lease is already dead.
    if (!held || held.fence !== snapshot.tx.fence) {
      // The old lease's calls end before the new lease dispatches them again.
      held?.calls.abort();
      this.active.set(
        snapshot.tx.gid,
        this.hold({ tx: snapshot.tx, ops: snapshot.ops, inFlight: new Set() }),
      );
    }
    return this.send(snapshot.tx.gid, event);
  }

  /** Takes over a transaction inserted already leased, whose first decision was stored with it. */
  adoptInserted(state: DriveState, dispatch: readonly BranchOp[]): void {
    const active = this.hold(state);
    this.active.set(state.tx.gid, active);
    for (const op of dispatch) void this.call(active, op);
  }

  /**
   * Applies an event to a held transaction once the events before it are done. Resolves
   * to the decision (check `rejection`), or undefined if the transaction is not held.
   * Rejects with STORE_UNAVAILABLE if the decision could not be stored.
   */
  send(gid: string, event: MachineEvent): Promise<Decision | undefined> {
    const active = this.active.get(gid);
    return active ? this.sendTo(gid, active, event) : Promise.resolve(undefined);
  }

  /** Queues an event for one specific lease; a later lease of the same gid ignores it. */
  private sendTo(gid: string, active: Active, event: MachineEvent): Promise<Decision | undefined> {
    const run = active.chain.then(() => this.process(gid, active, event));
    active.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Calls `listener` once when the transaction settles here (terminal, or parked waiting
   * for an operator); returns an unsubscribe.
   */
  onSettled(gid: string, listener: TerminalListener): () => void {
    let set = this.listeners.get(gid);
    if (!set) {
      set = new Set();
      this.listeners.set(gid, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(gid);
    };
  }

  /** A new lease entry for a transaction just claimed or inserted. */
  private hold(state: DriveState): Active {
    const gid = state.tx.gid;
    const active: Active = {
      state,
      fence: state.tx.fence,
      leaseUntil: state.tx.leaseUntil,
      releasing: false,
      calls: new LeaseCalls(() => this.deadlinePassed(gid, active)),
      chain: Promise.resolve(),
    };
    return active;
  }

  /**
   * The watchdog of a lease with open calls fired. Unless a renewal moved the deadline,
   * the calls are abandoned: each comes back as an unknown outcome, which is recorded
   * (fenced) and retried later if the lease still holds, and discarded if it does not.
   */
  private deadlinePassed(gid: string, active: Active): void {
    if (this.active.get(gid) !== active) return;
    const now = this.deps.clock.now();
    const deadline = callDeadline(active.leaseUntil, this.deps.leaseMs);
    if (now < deadline) active.calls.extend(deadline, now);
    else active.calls.abort();
  }

  /**
   * Extends the leases of every held transaction; drops those that were taken over. One
   * renewal runs at a time (a call while one runs joins it), so renewals reach the store
   * in the order they were made and the expiry kept here is the one stored.
   */
  renewLeases(): Promise<void> {
    this.renewal ??= this.renewAll().finally(() => {
      this.renewal = null;
    });
    return this.renewal;
  }

  private async renewAll(): Promise<void> {
    const entries = [...this.active.entries()];
    if (entries.length === 0) return;
    const refs: LeaseRef[] = entries.map(([gid, a]) => ({ gid, fence: a.fence }));
    const until = this.deps.clock.now() + this.deps.leaseMs;
    const renewed = await this.deps.store.renew(refs, this.deps.owner, until);
    entries.forEach(([gid, a], i) => {
      if (renewed[i]) {
        a.leaseUntil = until;
        a.calls.extend(callDeadline(until, this.deps.leaseMs), this.deps.clock.now());
      } else if (!a.releasing) this.drop(gid, a, 'lease lost: the store no longer holds it for us');
    });
  }

  /**
   * Gives up every held transaction (shutdown): stores each as due now and frees its
   * lease, so any instance may continue it. Calls still open are abandoned first (and
   * repeated later), so none is open once another instance can claim.
   */
  async releaseAll(): Promise<void> {
    const entries = [...this.active.entries()];
    this.active.clear();
    for (const [, a] of entries) a.calls.abort();
    const now = this.deps.clock.now();
    await Promise.all(
      entries.map(([gid, a]) =>
        this.deps.committer
          .write({
            gid,
            fence: a.fence,
            tx: { ...a.state.tx, nextAttemptAt: isTerminal(a.state.tx.status) ? null : now },
            ops: [],
            attempts: [],
            release: true,
          })
          .catch(() => false),
      ),
    );
  }

  private drop(gid: string, active: Active, why: string): void {
    if (this.active.get(gid) !== active) return;
    this.active.delete(gid);
    active.calls.abort();
    this.deps.observer.lost(active.state.tx, why);
  }

  private async process(
    gid: string,
    active: Active,
    event: MachineEvent,
  ): Promise<Decision | undefined> {
    if (this.active.get(gid) !== active) return undefined;
    const { clock, committer, crash } = this.deps;
    const now = clock.now();
    if (now >= active.leaseUntil) {
      this.drop(gid, active, 'lease expired before it was renewed');
      return undefined;
    }
    const decision = transition(active.state, event, { now, random: this.deps.random });
    if (decision.rejection) return decision;
    const next = decision.state;
    const idle = next.inFlight.size === 0;
    if (decision.changed || idle) {
      if (isTerminal(next.tx.status) && !isTerminal(active.state.tx.status)) {
        crash.hit('before-final-status');
      }
      let applied: boolean;
      active.releasing = idle;
      try {
        applied = await committer.write({
          gid,
          fence: active.fence,
          tx: next.tx,
          ops: decision.changedOps,
          attempts: decision.attempts,
          release: idle,
          releaseLocks: isTerminal(next.tx.status) && rulesOf(next.tx.mode).holdsRowLocks,
        });
      } catch (error) {
        this.drop(gid, active, `store write failed: ${String(error)}`);
        throw new AccordError('STORE_UNAVAILABLE', 'the store did not accept the write', {
          cause: error instanceof Error ? error.message : String(error),
        });
      }
      if (!applied) {
        this.drop(gid, active, 'write fenced out: another instance holds the transaction');
        return undefined;
      }
      if (active.state.tx.status === 'prepared' && next.tx.status !== 'prepared') {
        crash.hit('after-decision');
      }
    }
    active.state = next;
    for (const alert of decision.alerts) this.deps.observer.alert(alert, next.tx);
    if (idle) {
      // Only this lease's entry: a newer claim may have replaced it while the write ran.
      if (this.active.get(gid) === active) this.active.delete(gid);
      if (isTerminal(next.tx.status)) this.deps.observer.terminal(next.tx);
      if (isTerminal(next.tx.status) || next.tx.parked)
        this.settled({ tx: next.tx, ops: [...next.ops] });
    }
    for (const op of decision.dispatch) void this.call(active, op);
    return decision;
  }

  /**
   * Asks the gate whether the call may go out. The wait counts as an open call of the
   * lease: its watchdog ends the wait (the call is then held) when the lease runs short
   * without a renewal, and renewals keep the lease while the call waits.
   */
  private async admit(active: Active, op: BranchOp): Promise<Admission> {
    const answer = (this.deps.gate ?? openGate).admit(active.state.tx, op, active.calls.signal);
    if (!(answer instanceof Promise)) return answer;
    active.calls.begin(callDeadline(active.leaseUntil, this.deps.leaseMs), this.deps.clock.now());
    try {
      return await answer;
    } finally {
      active.calls.end();
    }
  }

  private settled(snapshot: TransactionSnapshot): void {
    const set = this.listeners.get(snapshot.tx.gid);
    if (!set) return;
    this.listeners.delete(snapshot.tx.gid);
    for (const listener of set) listener(snapshot);
  }

  /**
   * Whether a call may start under this lease now: it is still held, with more than the
   * margin left. A lease that is short of it (renewals running late) is renewed first.
   */
  private async roomForCall(gid: string, active: Active): Promise<boolean> {
    const room = () => this.deps.clock.now() < callDeadline(active.leaseUntil, this.deps.leaseMs);
    // The renewal under way may have started long ago: if it leaves no room, one more.
    for (let round = 0; round < 2; round++) {
      if (this.active.get(gid) !== active) return false;
      if (room()) return true;
      try {
        await this.renewLeases();
      } catch (error) {
        this.drop(gid, active, `store did not renew the lease: ${String(error)}`);
        return false;
      }
    }
    if (this.active.get(gid) !== active) return false;
    if (room()) return true;
    this.drop(gid, active, 'renewals too slow to start a call within the lease');
    return false;
  }

  private async call(active: Active, op: BranchOp): Promise<void> {
    const gid = active.state.tx.gid;
    // Without room on the lease the call is not made; the next holder makes it.
    if (!(await this.roomForCall(gid, active))) return;
    const admission = await this.admit(active, op);
    if (admission.kind === 'held') {
      const held = { branchId: op.branchId, op: op.op, attempt: op.attempts };
      await this.sendTo(gid, active, { type: 'held', ...held, until: admission.until }).catch(
        () => undefined,
      );
      return;
    }
    // Waiting at the gate may have used the room up.
    if (!(await this.roomForCall(gid, active))) {
      admission.done(null, 0);
      return;
    }
    const startedAt = this.deps.clock.now();
    const deadline = callDeadline(active.leaseUntil, this.deps.leaseMs);
    const t0 = performance.now();
    active.calls.begin(deadline, startedAt);
    let outcome: Outcome | null = null;
    try {
      outcome = await this.deps.caller.call(active.state.tx, op, active.calls.signal);
    } finally {
      active.calls.end();
      admission.done(outcome, performance.now() - t0);
    }
    this.deps.observer.branchCall(active.state.tx, op, outcome, (performance.now() - t0) / 1000);
    this.deps.crash.hit('after-branch-call');
    await this.sendTo(active.state.tx.gid, active, {
      type: 'result',
      branchId: op.branchId,
      op: op.op,
      attempt: op.attempts,
      startedAt,
      outcome,
    }).catch(() => undefined);
  }
}
