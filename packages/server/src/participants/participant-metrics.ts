/**
 * Prometheus metrics of participants: `accord_participant_calls_total{host,outcome}`,
 * `accord_participant_call_seconds{host}` and `accord_participant_held{host}`. The `host` label takes the first {@link MAX_LABELLED}
 * participants seen; any further one is counted under `other`, so a coordinator that
 * calls many hosts keeps a bounded number of series.
 */
import type { OutcomeKind } from '@accord/core';
import type { Registry } from 'prom-client';
import * as prom from '../observability/prom-client-parts.js';
import type { ParticipantView } from './participant-gate.js';

/** Most distinct `host` label values. */
export const MAX_LABELLED = 100;

/** The label value every participant past the bound shares. */
export const OTHER_HOSTS = 'other';

/** The participant metrics: call `onCall` for every call; `held` is read at each scrape. */
export interface ParticipantMetrics {
  onCall(host: string, outcome: OutcomeKind, seconds: number): void;
}

/** Registers the metrics on `registry`; `participants` lists them at scrape time. */
export function registerParticipantMetrics(
  registry: Registry,
  participants: () => readonly ParticipantView[],
): ParticipantMetrics {
  const labelled = new Set<string>();
  const label = (host: string): string => {
    if (labelled.has(host)) return host;
    if (labelled.size >= MAX_LABELLED) return OTHER_HOSTS;
    labelled.add(host);
    return host;
  };
  const calls = new prom.Counter({
    name: 'accord_participant_calls_total',
    help: 'Branch calls made to each participant (host:port), by outcome.',
    labelNames: ['host', 'outcome'],
    registers: [registry],
  });
  const latency = new prom.Histogram({
    name: 'accord_participant_call_seconds',
    help: 'Time from sending a branch call to a participant (host:port) to its answer.',
    labelNames: ['host'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new prom.Gauge({
    name: 'accord_participant_held',
    help: 'Calls to each participant held back now: paused, or waiting for its caps.',
    labelNames: ['host'],
    registers: [registry],
    collect() {
      const held = new Map<string, number>();
      for (const p of participants()) {
        const key = label(p.host);
        held.set(key, (held.get(key) ?? 0) + p.held);
      }
      this.reset();
      for (const [host, n] of held) this.set({ host }, n);
    },
  });
  return {
    onCall: (host, outcome, seconds) => {
      const key = label(host);
      calls.inc({ host: key, outcome });
      latency.observe({ host: key }, seconds);
    },
  };
}
