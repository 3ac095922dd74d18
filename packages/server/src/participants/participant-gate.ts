/**
 * The participant gate: the {@link CallGate} that holds back calls to a participant an
 * operator paused, and keeps calls to each participant within its concurrency and rate
 * caps. It also keeps each participant's recent calls (count, failures, latency), for
 * `GET /v1/participants`.
 *
 * A call to a paused participant is held: not made, not an attempt, not a failure; its
 * op is due again a little later (`holdMs`, ±20 %), when the pause is asked again. A call
 * over a cap waits for its turn (a slot, then a token); one that would wait longer than
 * `maxWaitMs` is held instead, so a long queue lives in the store, not in memory. For
 * `resumeWindowMs` after a pause ends, calls to the participant go out at most at the
 * resume rate (or its own rate cap, if lower), so the backlog cannot stampede it.
 *
 * Caps and stats are per instance; the pause list is shared (see pause-registry.ts).
 */
import type { BranchOp, Clock, Outcome, OutcomeKind, TransactionRecord } from '@accord/core';
import type { Admission, CallGate } from '../engine/call-gate.js';
import { participantOf } from './participant-key.js';
import { RecentCalls } from './recent-calls.js';
import { TokenBucket } from './token-bucket.js';

/** Caps of one participant; null: none. */
export interface ParticipantCaps {
  readonly concurrency: number | null;
  readonly ratePerSec: number | null;
}

/** Who paused a participant, why, and when (ms). */
export interface PauseInfo {
  readonly by: string;
  readonly reason: string;
  readonly at: number;
}

/** What the gate knows of one participant. */
export interface ParticipantView {
  readonly host: string;
  readonly calls: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly inFlight: number;
  readonly held: number;
  readonly paused: boolean;
  readonly pausedBy: string | null;
  readonly pauseReason: string | null;
  readonly caps: ParticipantCaps;
}

/** Waits: resolves after `ms`, or at once when `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** How the gate is set up. */
export interface ParticipantGateOptions {
  readonly clock: Clock;
  /** Caps of named participants (`host:port`, lower case). */
  readonly caps?: ReadonlyMap<string, ParticipantCaps>;
  /** Caps of every other participant. */
  readonly defaults?: ParticipantCaps;
  /** Rate of calls to a participant just resumed, per second. */
  readonly resumeRatePerSec?: number;
  /** How long a call held for a paused participant waits before it is tried again, ms. */
  readonly holdMs?: number;
  /** Longest wait for a cap before a call is held instead, ms. */
  readonly maxWaitMs?: number;
  /** How long after a resume the resume rate applies, ms. */
  readonly resumeWindowMs?: number;
  /** Most participants whose stats are kept; the least recently called go first. */
  readonly maxHosts?: number;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  /** Told of every call that ended, for metrics. */
  readonly onCall?: (host: string, outcome: OutcomeKind, seconds: number) => void;
}

const NO_CAPS: ParticipantCaps = { concurrency: null, ratePerSec: null };
/** How long a held op is counted after it was due, if it never comes back (resolved meanwhile). */
const HELD_GRACE_MS = 30_000;
/** Most held ops counted one by one per participant. */
const MAX_HELD_TRACKED = 10_000;

/** The state of one participant on this instance. */
class Participant {
  inFlight = 0;
  waiting = 0;
  readonly recent = new RecentCalls();
  /** Held ops (gid, branch, op) and when they are due again. */
  readonly held = new Map<string, number>();
  /** Calls waiting for a concurrency slot, first come first served. */
  readonly queue: Array<{ granted: boolean; grant(): void }> = [];
  /** Resume ramp: the resume rate applies until then (0: not resuming). */
  resumeUntil = 0;

  constructor(
    readonly host: string,
    readonly caps: ParticipantCaps,
    public bucket: TokenBucket | null,
  ) {}
}

const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** The participant gate; see the file's comment. */
export class ParticipantGate implements CallGate {
  private readonly participants = new Map<string, Participant>();
  private paused: ReadonlyMap<string, PauseInfo> = new Map();
  private readonly caps: ReadonlyMap<string, ParticipantCaps>;
  private readonly defaults: ParticipantCaps;
  private readonly resumeRate: number;
  private readonly holdMs: number;
  private readonly maxWaitMs: number;
  private readonly resumeWindowMs: number;
  private readonly maxHosts: number;
  private readonly random: () => number;
  private readonly sleep: Sleep;

  constructor(private readonly options: ParticipantGateOptions) {
    this.caps = options.caps ?? new Map();
    this.defaults = options.defaults ?? NO_CAPS;
    this.resumeRate = options.resumeRatePerSec ?? 50;
    this.holdMs = options.holdMs ?? 5_000;
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    this.resumeWindowMs = options.resumeWindowMs ?? 60_000;
    this.maxHosts = options.maxHosts ?? 1_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? realSleep;
  }

  /** The caps that apply to a participant. */
  capsOf(host: string): ParticipantCaps {
    return this.caps.get(host) ?? this.defaults;
  }

  /** The pause of a participant, if it is paused. */
  pauseOf(host: string): PauseInfo | undefined {
    return this.paused.get(host);
  }

  /**
   * Replaces the pause list (as read from the store, or just changed here). Participants
   * that were paused and are not any more start their resume ramp now.
   */
  setPaused(paused: ReadonlyMap<string, PauseInfo>): void {
    const now = this.options.clock.now();
    for (const host of this.paused.keys()) {
      if (!paused.has(host)) this.startRamp(this.participant(host), now);
    }
    this.paused = paused;
  }

  admit(tx: TransactionRecord, op: BranchOp, signal: AbortSignal): Admission | Promise<Admission> {
    const host = participantOf(op.url);
    if (host === null) return UNTRACKED;
    const p = this.participant(host);
    const now = this.options.clock.now();
    const id = `${tx.gid}\n${op.branchId}\n${op.op}`;
    if (this.paused.has(host)) return this.hold(p, id, now + this.jitter(this.holdMs), now);
    this.endRamp(p, now);
    const limit = p.caps.concurrency ?? Infinity;
    if (p.inFlight < limit && p.queue.length === 0 && (p.bucket?.waitMs(now) ?? 0) === 0) {
      p.bucket?.take(now);
      p.inFlight += 1;
      return this.go(p, id);
    }
    return this.wait(p, id, signal, now);
  }

  /** Waits for a slot, then a token; holds the call when either is too far away. */
  private async wait(p: Participant, id: string, signal: AbortSignal, start: number) {
    const deadline = start + this.maxWaitMs;
    p.waiting += 1;
    try {
      if (!(await this.slot(p, deadline - start, signal))) {
        const now = this.options.clock.now();
        return this.hold(p, id, now + this.jitter(this.maxWaitMs), now);
      }
      let now = this.options.clock.now();
      const bucket = p.bucket;
      if (bucket) {
        const wait = bucket.waitMs(now);
        if (now + wait > deadline) {
          this.release(p);
          return this.hold(p, id, now + Math.max(wait, this.jitter(this.maxWaitMs)), now);
        }
        bucket.take(now);
        if (wait > 0) await this.sleep(wait, signal);
        now = this.options.clock.now();
      }
      if (signal.aborted || this.paused.has(p.host)) {
        this.release(p);
        return this.hold(p, id, now + (signal.aborted ? 0 : this.jitter(this.holdMs)), now);
      }
      return this.go(p, id);
    } finally {
      p.waiting -= 1;
    }
  }

  /** Takes a concurrency slot, waiting in line up to `ms`; false when none came. */
  private async slot(p: Participant, ms: number, signal: AbortSignal): Promise<boolean> {
    if (p.inFlight < (p.caps.concurrency ?? Infinity) && p.queue.length === 0) {
      p.inFlight += 1;
      return true;
    }
    const stop = new AbortController();
    const entry = {
      granted: false,
      grant: () => {
        entry.granted = true;
        stop.abort();
      },
    };
    p.queue.push(entry);
    await this.sleep(ms, AbortSignal.any([signal, stop.signal]));
    if (entry.granted) {
      if (!signal.aborted) return true;
      this.release(p);
      return false;
    }
    p.queue.splice(p.queue.indexOf(entry), 1);
    return false;
  }

  /** A slot is given back: to the first in line, else freed. */
  private release(p: Participant): void {
    const next = p.queue.shift();
    if (next) next.grant();
    else p.inFlight -= 1;
  }

  private go(p: Participant, id: string): Admission {
    p.held.delete(id);
    let open = true;
    return {
      kind: 'go',
      done: (outcome: Outcome | null, ms: number) => {
        if (!open) return;
        open = false;
        this.release(p);
        if (outcome === null) return;
        p.recent.record(this.options.clock.now(), ms, outcome.kind === 'error');
        this.options.onCall?.(p.host, outcome.kind, ms / 1000);
      },
    };
  }

  private hold(p: Participant, id: string, until: number, now: number): Admission {
    if (p.held.size < MAX_HELD_TRACKED || p.held.has(id)) p.held.set(id, until);
    return { kind: 'held', until: Math.max(until, now + 1) };
  }

  private startRamp(p: Participant, now: number): void {
    const rate = Math.min(p.caps.ratePerSec ?? Infinity, this.resumeRate);
    p.resumeUntil = now + this.resumeWindowMs;
    if (p.bucket) p.bucket.setRate(rate, now);
    else p.bucket = TokenBucket.forRate(rate, now);
  }

  private endRamp(p: Participant, now: number): void {
    if (p.resumeUntil === 0 || now < p.resumeUntil) return;
    p.resumeUntil = 0;
    const rate = p.caps.ratePerSec;
    if (rate === null) p.bucket = null;
    else p.bucket?.setRate(rate, now);
  }

  /** The participant's state, made most recently used; the least recently used idle one goes past the bound. */
  private participant(host: string): Participant {
    let p = this.participants.get(host);
    if (p) {
      this.participants.delete(host);
      this.participants.set(host, p);
      return p;
    }
    const caps = this.capsOf(host);
    const now = this.options.clock.now();
    const bucket = caps.ratePerSec === null ? null : TokenBucket.forRate(caps.ratePerSec, now);
    p = new Participant(host, caps, bucket);
    this.participants.set(host, p);
    if (this.participants.size > this.maxHosts) {
      for (const [key, old] of this.participants) {
        if (old.inFlight === 0 && old.waiting === 0 && !this.paused.has(key)) {
          this.participants.delete(key);
          break;
        }
      }
    }
    return p;
  }

  private jitter(ms: number): number {
    return Math.round(ms * (0.8 + 0.4 * this.random()));
  }

  /** Every participant called recently, paused, or named in the caps; by host. */
  list(): ParticipantView[] {
    const hosts = new Set([
      ...this.participants.keys(),
      ...this.paused.keys(),
      ...this.caps.keys(),
    ]);
    return [...hosts].sort().map((host) => this.view(host));
  }

  /** One participant as `GET /v1/participants` shows it. */
  view(host: string): ParticipantView {
    const now = this.options.clock.now();
    const p = this.participants.get(host);
    const recent = p?.recent.summary(now) ?? EMPTY;
    const pause = this.paused.get(host);
    return {
      host,
      calls: recent.calls,
      errors: recent.errors,
      errorRate: recent.calls === 0 ? 0 : recent.errors / recent.calls,
      latencyP50Ms: recent.latencyP50Ms,
      latencyP99Ms: recent.latencyP99Ms,
      inFlight: p?.inFlight ?? 0,
      held: p ? this.heldCount(p, now) : 0,
      paused: pause !== undefined,
      pausedBy: pause?.by ?? null,
      pauseReason: pause?.reason ?? null,
      caps: p?.caps ?? this.capsOf(host),
    };
  }

  /** Calls held now: waiting here, or given back and not yet made. */
  private heldCount(p: Participant, now: number): number {
    for (const [id, until] of p.held) if (until + HELD_GRACE_MS < now) p.held.delete(id);
    return p.held.size + p.waiting;
  }
}

const EMPTY = { calls: 0, errors: 0, latencyP50Ms: null, latencyP99Ms: null };
const UNTRACKED: Admission = { kind: 'go', done: () => undefined };
