/**
 * The participants facade the API and the server use: one gate for this instance's
 * calls, the shared pause list behind it, and the metrics. Built once per coordinator.
 */
import type { Clock, KeyValueStore } from '@accord/core';
import type { Registry } from 'prom-client';
import { ParticipantGate, type ParticipantCaps, type ParticipantView } from './participant-gate.js';
import { registerParticipantMetrics } from './participant-metrics.js';
import { PauseRegistry } from './pause-registry.js';

/** An operator's pause or resume went through; for the log. */
export interface ParticipantAction {
  readonly action: 'pause' | 'resume';
  readonly host: string;
  readonly actor: string;
  readonly reason: string;
}

/** How participants are capped and held (from the `ACCORD_PARTICIPANT_*` settings). */
export interface ParticipantsConfig {
  /** Caps of named participants (`host:port`, lower case). */
  readonly caps: ReadonlyMap<string, ParticipantCaps>;
  /** Caps of every other participant. */
  readonly defaults: ParticipantCaps;
  /** Rate of calls to a participant just resumed, per second. */
  readonly resumeRatePerSec: number;
  /** How long a call held for a paused participant waits before it is tried again, ms. */
  readonly holdMs: number;
}

/** What the participants are built from. */
export interface ParticipantsDeps {
  readonly config: ParticipantsConfig;
  readonly kv: KeyValueStore;
  readonly clock: Clock;
  readonly registry: Registry;
  /** A read of the shared pause list failed (the last one read stays in force). */
  readonly onError: (error: unknown) => void;
  /** An operator paused or resumed a participant. */
  readonly onAction: (action: ParticipantAction) => void;
}

/** The participants of one coordinator instance. */
export class Participants {
  /** The gate every branch call of this instance passes. */
  readonly gate: ParticipantGate;
  private readonly pauses: PauseRegistry;

  constructor(private readonly deps: ParticipantsDeps) {
    const { config } = deps;
    const metrics = registerParticipantMetrics(deps.registry, () => this.gate.list());
    this.gate = new ParticipantGate({
      clock: deps.clock,
      caps: config.caps,
      defaults: config.defaults,
      resumeRatePerSec: config.resumeRatePerSec,
      holdMs: config.holdMs,
      onCall: (host, outcome, seconds) => metrics.onCall(host, outcome, seconds),
    });
    this.pauses = new PauseRegistry({
      kv: deps.kv,
      gate: this.gate,
      clock: deps.clock,
      refreshMs: Math.min(2_000, Math.max(50, Math.floor(config.holdMs / 2))),
      onError: deps.onError,
    });
  }

  /** Reads the pause list, then keeps it fresh; rejects when the first read fails. */
  async start(): Promise<void> {
    await this.pauses.refresh();
    this.pauses.start();
  }

  /** Stops reading the pause list. */
  stop(): Promise<void> {
    return this.pauses.stop();
  }

  /** Every participant this instance knows of. */
  list(): ParticipantView[] {
    return this.gate.list();
  }

  /** Pauses `host` (`host:port`, lower case) for every instance; the participant as it stands. */
  async pause(host: string, actor: string, reason: string): Promise<ParticipantView> {
    await this.pauses.pause(host, actor, reason);
    this.deps.onAction({ action: 'pause', host, actor, reason });
    return this.gate.view(host);
  }

  /** Resumes `host` for every instance; the participant as it stands. */
  async resume(host: string, actor: string, reason: string): Promise<ParticipantView> {
    await this.pauses.resume(host);
    this.deps.onAction({ action: 'resume', host, actor, reason });
    return this.gate.view(host);
  }
}
