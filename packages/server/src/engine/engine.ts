/**
 * The coordinator's engine: the fast path (persist once, drive at once), client and
 * operator actions on stored transactions, waiting for results, and the recovery path
 * that claims due work with leases.
 */
import type {
  AttemptRecord,
  BranchOp,
  Clock,
  DriveState,
  ListPage,
  ListQuery,
  MachineEvent,
  NewTransaction,
  RowLock,
  Store,
  TransactionRecord,
  TransactionSnapshot,
} from '@accord/core';
import {
  AccordError,
  createSnapshot,
  isTerminal,
  modesWhere,
  MODES,
  rulesOf,
  stuckCutoffs,
  transition,
  ValidationError,
  type StuckThresholds,
} from '@accord/core';
import type { BranchCall } from './branch-call.js';
import type { CallGate } from './call-gate.js';
import type { CrashPoints } from './crash-points.js';
import { Driver } from './driver.js';
import { GroupCommitter } from './group-committer.js';
import type { EngineObserver } from './observer.js';
import { RecoveryLoop } from './recovery-loop.js';
import { RetentionLoop } from './retention-loop.js';

/** Everything the engine is built from. */
export interface EngineDeps {
  readonly store: Store;
  readonly caller: BranchCall;
  /** Holds calls back for paused or capped participants; none: every call goes out. */
  readonly gate?: CallGate;
  readonly clock: Clock;
  readonly random?: () => number;
  /** Lease owner id of this instance (unique per process). */
  readonly owner: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly maxInFlight: number;
  readonly crash: CrashPoints;
  /** Age after which terminal transactions are purged; null keeps them forever. */
  readonly retentionMs?: number | null;
  /** Per mode, how long before a non-terminal transaction counts as stuck (default 1 h). */
  readonly stuckAfter?: StuckThresholds;
  readonly observer: EngineObserver;
  /** Called with errors the engine cannot hand to a caller; `tx` is the transaction concerned, if one is. */
  readonly onError: (error: unknown, context: string, tx?: TransactionRecord) => void;
}

/** Result of a create: whether it was new, and the transaction as it stands. */
export interface CreateResult {
  readonly created: boolean;
  readonly snapshot: TransactionSnapshot;
}

/** A listing as the API asks for it: `stuck` is a yes/no, the engine knows the thresholds. */
export type ListRequest = Omit<ListQuery, 'stuck'> & { readonly stuck?: boolean | undefined };

/** Who takes an operator action, and why (recorded in the history). */
export interface ActionNote {
  readonly actor: string | null;
  readonly reason?: string | undefined;
}

const DEFAULT_STUCK_AFTER = Object.fromEntries(MODES.map((m) => [m, 3_600_000])) as StuckThresholds;

/** How long an API action waits for another instance to let go of a transaction. */
const BUSY_WAIT_MS = 5_000;

/** The engine facade used by the HTTP layer and the CLI. */
export class Engine {
  private readonly driver: Driver;
  private readonly recovery: RecoveryLoop;
  private readonly retention: RetentionLoop | null;
  private readonly committer: GroupCommitter;
  private readonly random: () => number;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly deps: EngineDeps) {
    this.random = deps.random ?? Math.random;
    this.committer = new GroupCommitter(deps.store, 512, (n, s) => deps.observer.storeWrite(n, s));
    this.driver = new Driver({ ...deps, committer: this.committer, random: this.random });
    this.recovery = new RecoveryLoop({
      store: deps.store,
      driver: this.driver,
      clock: deps.clock,
      owner: deps.owner,
      leaseMs: deps.leaseMs,
      pollIntervalMs: deps.pollIntervalMs,
      maxInFlight: deps.maxInFlight,
      observer: deps.observer,
      onError: deps.onError,
    });
    this.retention =
      deps.retentionMs === undefined || deps.retentionMs === null
        ? null
        : new RetentionLoop({
            store: deps.store,
            clock: deps.clock,
            retentionMs: deps.retentionMs,
            onPurged: (n) => deps.observer.purged(n),
            onError: deps.onError,
          });
  }

  /** Starts the recovery path and lease renewal. */
  start(): void {
    this.recovery.start();
    this.retention?.start();
    this.renewTimer = setInterval(
      () => {
        this.driver.renewLeases().catch((e: unknown) => this.deps.onError(e, 'lease renewal'));
      },
      Math.max(100, Math.floor(this.deps.leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  /** Transactions this instance is driving now. */
  get inFlight(): number {
    return this.driver.size;
  }

  /**
   * Stops taking work, lets in-flight transactions settle for up to `graceMs`, then
   * releases the rest so another instance (or the next start) continues them.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    await this.recovery.stop();
    await this.retention?.stop();
    const deadline = performance.now() + graceMs;
    while (this.driver.size > 0 && performance.now() < deadline) {
      await sleep(20);
    }
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.driver.releaseAll();
  }

  /**
   * Creates a transaction. A saga or notification is inserted already leased with its
   * first calls marked dispatched, then driven at once; tcc/xa/msg are stored `prepared`. A repeated create with
   * the same fingerprint returns the existing one; a different one is GID_CONFLICT.
   */
  async create(spec: NewTransaction, waitMs: number | null): Promise<CreateResult> {
    this.refuseWhenStopping();
    const now = this.deps.clock.now();
    const lease = rulesOf(spec.mode).startsPrepared
      ? undefined
      : { owner: this.deps.owner, until: now + this.deps.leaseMs };
    const snapshot = createSnapshot(spec, now, lease);
    let state: DriveState = { tx: snapshot.tx, ops: snapshot.ops, inFlight: new Set() };
    let dispatch: readonly BranchOp[] = [];
    if (lease) {
      const decision = transition(state, { type: 'wake' }, { now, random: this.random });
      state = decision.state;
      dispatch = decision.dispatch;
    }
    const result = await this.storeCall(() => this.committer.insert(state.tx, state.ops));
    if (!result.inserted) {
      if (result.existing.tx.fingerprint !== spec.fingerprint) {
        throw new AccordError(
          'GID_CONFLICT',
          `a transaction with gid "${spec.gid}" exists with a different body`,
          {
            gid: spec.gid,
          },
        );
      }
      return { created: false, snapshot: await this.settle(result.existing, waitMs) };
    }
    this.deps.crash.hit('after-create');
    const waiting = waitMs !== null && waitMs > 0 ? this.waitTerminal(spec.gid, waitMs) : null;
    if (lease) this.driver.adoptInserted(state, dispatch);
    const current = { tx: state.tx, ops: [...state.ops] };
    return { created: true, snapshot: waiting ? await waiting.settleWith(current) : current };
  }

  /**
   * Registers a branch's ops (tcc confirm + cancel, xa and at commit + rollback) while
   * prepared. An at branch takes its row locks first, all or none: a key another
   * transaction holds is LOCK_CONFLICT, naming the key and its holder. If the registration
   * then fails, the keys this call took are given back.
   */
  async register(
    gid: string,
    ops: readonly BranchOp[],
    lockKeys: readonly string[] = [],
  ): Promise<TransactionSnapshot> {
    const event = { type: 'register', ops } as const;
    if (lockKeys.length === 0) return this.act(gid, event);
    const current = await this.find(gid);
    if (!current) throw notFound(gid);
    if (!rulesOf(current.tx.mode).holdsRowLocks) {
      const modes = modesWhere((r) => r.holdsRowLocks).join(', ');
      throw new ValidationError([
        { path: '/lockKeys', message: `is only taken by branches of ${modes} transactions` },
      ]);
    }
    // Not prepared: the registration is an idempotent repeat or refused; no new locks.
    if (current.tx.status !== 'prepared') return this.act(gid, event);
    const { store, clock } = this.deps;
    const branchId = ops[0]?.branchId ?? '';
    const request = { gid, branchId, keys: lockKeys, now: clock.now() };
    const taken = await this.storeCall(() => store.locks.acquire(request));
    if (!taken.acquired) throw lockConflict(gid, taken.conflict);
    try {
      return await this.act(gid, event);
    } catch (error) {
      await store.locks
        .release(gid, taken.added)
        .catch((e: unknown) => this.deps.onError(e, `releasing row locks of ${gid}`, current.tx));
      throw error;
    }
  }

  /** Submits a prepared tcc/xa/msg transaction; optionally waits for its end. */
  async submit(gid: string, waitMs: number | null): Promise<TransactionSnapshot> {
    const waiting = waitMs !== null && waitMs > 0 ? this.waitTerminal(gid, waitMs) : null;
    try {
      const snapshot = await this.act(gid, { type: 'submit' });
      return waiting ? await waiting.settleWith(snapshot) : snapshot;
    } finally {
      waiting?.cancel();
    }
  }

  /**
   * Aborts a prepared tcc/xa/msg transaction; optionally waits for its end. With an
   * `actor`, the abort is recorded in the history as that actor's action.
   */
  async abort(
    gid: string,
    reason: string,
    waitMs: number | null = null,
    actor?: string | null,
  ): Promise<TransactionSnapshot> {
    const waiting = waitMs !== null && waitMs > 0 ? this.waitTerminal(gid, waitMs) : null;
    try {
      const event: MachineEvent =
        actor === undefined ? { type: 'abort', reason } : { type: 'abort', reason, actor };
      const snapshot = await this.act(gid, event);
      return waiting ? await waiting.settleWith(snapshot) : snapshot;
    } finally {
      waiting?.cancel();
    }
  }

  /** Operator: unparks and runs now. */
  retry(gid: string, note?: ActionNote): Promise<TransactionSnapshot> {
    return this.act(gid, { type: 'retry', actor: note?.actor, reason: note?.reason });
  }

  /** Operator: marks a non-terminal transaction terminal. */
  resolve(
    gid: string,
    status: 'succeeded' | 'failed',
    reason: string,
    actor?: string | null,
  ): Promise<TransactionSnapshot> {
    return this.act(gid, { type: 'resolve', status, reason, actor });
  }

  /** Operator: stops driving a transaction until it is resumed (recovery skips it). */
  pause(gid: string, reason: string, actor: string | null): Promise<TransactionSnapshot> {
    return this.act(gid, { type: 'pause', reason, actor });
  }

  /** Operator: drives a paused transaction again, its waiting calls due now. */
  resume(gid: string, reason: string, actor: string | null): Promise<TransactionSnapshot> {
    return this.act(gid, { type: 'resume', reason, actor });
  }

  /**
   * Makes waiting transactions due now, so the recovery path retries them at its next
   * poll (DTM's `resetCronTime`): those whose next attempt is more than `afterMs` away,
   * at most `limit`, or just `gid`. Returns how many changed.
   */
  hasten(query: { afterMs: number; limit: number; gid?: string }): Promise<number> {
    const now = this.deps.clock.now();
    const { afterMs, limit, gid } = query;
    return this.storeCall(() =>
      this.deps.store.hasten({ now, laterThan: now + afterMs, limit, gid }),
    );
  }

  /** The stored transaction and its history. */
  async get(gid: string): Promise<{ snapshot: TransactionSnapshot; history: AttemptRecord[] }> {
    const snapshot = await this.storeCall(() => this.deps.store.get(gid));
    if (!snapshot) throw notFound(gid);
    const history = await this.storeCall(() => this.deps.store.history(gid));
    return { snapshot, history };
  }

  /**
   * The stored transaction once it has settled (terminal or parked), or as it stands when
   * `waitMs` passes first.
   */
  async awaitSettled(gid: string, waitMs: number): Promise<TransactionSnapshot> {
    const { snapshot } = await this.get(gid);
    return this.settle(snapshot, waitMs);
  }

  /** The stored transaction, or null when there is none. */
  find(gid: string): Promise<TransactionSnapshot | null> {
    return this.storeCall(async () => (await this.deps.store.get(gid)) ?? null);
  }

  /** A page of transactions; `stuck` is judged by this engine's thresholds, now. */
  list(request: ListRequest | ListQuery): Promise<ListPage> {
    const { stuck, ...rest } = request;
    const query: ListQuery =
      stuck === undefined || typeof stuck === 'object'
        ? { ...rest, stuck }
        : {
            ...rest,
            stuck: {
              is: stuck,
              createdBefore: stuckCutoffs(
                this.deps.stuckAfter ?? DEFAULT_STUCK_AFTER,
                this.deps.clock.now(),
              ),
            },
          };
    return this.storeCall(() => this.deps.store.list(query));
  }

  /**
   * Applies a client or operator event: directly if this instance holds the
   * transaction, else after claiming it; waits briefly while another instance holds it.
   */
  private async act(gid: string, event: MachineEvent): Promise<TransactionSnapshot> {
    this.refuseWhenStopping();
    const deadline = performance.now() + BUSY_WAIT_MS;
    for (let round = 0; ; round++) {
      if (this.driver.holds(gid)) {
        const decision = await this.driver.send(gid, event);
        if (decision) return outcomeOf(decision);
        continue;
      }
      const now = this.deps.clock.now();
      const claimed = await this.storeCall(() =>
        this.deps.store.claim(gid, this.deps.owner, now, this.deps.leaseMs),
      );
      if (claimed) {
        const decision = await this.driver.adopt(claimed, event);
        if (decision) return outcomeOf(decision);
        continue;
      }
      const current = await this.storeCall(() => this.deps.store.get(gid));
      if (!current) throw notFound(gid);
      if (isTerminal(current.tx.status)) {
        // Terminal: the event is either a no-op (idempotent repeat) or refused.
        const decision = transition({ ...current, inFlight: new Set() }, event, {
          now,
          random: this.random,
        });
        if (decision.rejection) throw decision.rejection;
        return current;
      }
      if (performance.now() > deadline) {
        throw new AccordError(
          'TRANSACTION_BUSY',
          `transaction "${gid}" is held by another instance; try again`,
          {
            gid,
            owner: current.tx.leaseOwner,
          },
        );
      }
      await sleep(Math.min(200, 10 * 2 ** round));
    }
  }

  /** Returns the snapshot, or waits for its end first when asked and not terminal yet. */
  private async settle(
    snapshot: TransactionSnapshot,
    waitMs: number | null,
  ): Promise<TransactionSnapshot> {
    if (waitMs === null || waitMs <= 0 || settled(snapshot)) return snapshot;
    return this.waitTerminal(snapshot.tx.gid, waitMs).settleWith(snapshot);
  }

  /**
   * Starts waiting for a transaction to settle (subscribe first, act second, so an end that
   * comes quickly is not missed). Ends driven by another instance are seen by polling.
   */
  private waitTerminal(gid: string, waitMs: number) {
    let finish: (s: TransactionSnapshot | undefined) => void = () => undefined;
    const done = new Promise<TransactionSnapshot | undefined>((resolve) => (finish = resolve));
    const unsubscribe = this.driver.onSettled(gid, (s) => finish(s));
    const timer = setTimeout(() => finish(undefined), waitMs);
    const poll = setInterval(() => {
      if (this.driver.holds(gid)) return;
      this.deps.store
        .get(gid)
        .then((s) => s && settled(s) && finish(s))
        .catch(() => undefined);
    }, 500);
    const cleanup = () => {
      unsubscribe();
      clearTimeout(timer);
      clearInterval(poll);
      finish(undefined);
    };
    return {
      cancel: cleanup,
      settleWith: async (current: TransactionSnapshot): Promise<TransactionSnapshot> => {
        if (settled(current)) {
          cleanup();
          return current;
        }
        const ended = await done;
        cleanup();
        if (ended) return ended;
        return (await this.deps.store.get(gid).catch(() => undefined)) ?? current;
      },
    };
  }

  private refuseWhenStopping(): void {
    if (this.stopping) throw new AccordError('SHUTTING_DOWN', 'the coordinator is stopping');
  }

  private async storeCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AccordError) throw error;
      throw new AccordError('STORE_UNAVAILABLE', 'the store cannot be reached', {
        cause: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

function outcomeOf(decision: {
  rejection: AccordError | null;
  state: DriveState;
}): TransactionSnapshot {
  if (decision.rejection) throw decision.rejection;
  return { tx: decision.state.tx, ops: [...decision.state.ops] };
}

/** Terminal, or parked: either way nothing more happens without someone acting. */
function settled(snapshot: TransactionSnapshot): boolean {
  return isTerminal(snapshot.tx.status) || snapshot.tx.parked;
}

function lockConflict(gid: string, holder: RowLock): AccordError {
  return new AccordError(
    'LOCK_CONFLICT',
    `row lock "${holder.key}" is held by transaction "${holder.gid}" (branch ${holder.branchId})`,
    { gid, key: holder.key, holderGid: holder.gid, holderBranchId: holder.branchId },
  );
}

function notFound(gid: string): AccordError {
  return new AccordError('TRANSACTION_NOT_FOUND', `no transaction has gid "${gid}"`, { gid });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
