/** Prometheus metrics of the coordinator (prom-client), fed by the engine observer. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '@accord/core';

/** The coordinator's metric instruments, on a registry of their own. */
export interface Metrics {
  readonly registry: Registry;
  readonly transactions: Counter<'mode' | 'status'>;
  readonly branchCalls: Histogram<'op' | 'outcome'>;
  readonly retries: Counter<'op'>;
  readonly parkedTotal: Counter<'mode'>;
  readonly storeWrites: Histogram;
  readonly dueLag: Gauge;
  readonly active: Gauge;
  readonly leasesLost: Counter;
  readonly purged: Counter;
}

/** Creates the instruments; `parked` and `active` are read from their sources at scrape time. */
export function createMetrics(store: Store, activeCount: () => number): Metrics {
  const registry = new Registry();
  // prom-client's names already start with `process_` / `nodejs_`: the prefix is only
  // `accord_`, giving `accord_process_cpu_seconds_total`, `accord_nodejs_heap_size_used_bytes`.
  collectDefaultMetrics({ register: registry, prefix: 'accord_' });
  return {
    registry,
    transactions: new Counter({
      name: 'accord_transactions_total',
      help: 'Transactions that reached a terminal status, by mode and status.',
      labelNames: ['mode', 'status'],
      registers: [registry],
    }),
    branchCalls: new Histogram({
      name: 'accord_branch_call_seconds',
      help: 'Latency of branch calls, by op and outcome.',
      labelNames: ['op', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'accord_branch_retries_total',
      help: 'Branch calls that will be retried (unknown outcome, refusal of a must-succeed op, ongoing).',
      labelNames: ['op'],
      registers: [registry],
    }),
    parkedTotal: new Counter({
      name: 'accord_parked_total',
      help: 'Transactions that parked because an op exhausted its retry budget.',
      labelNames: ['mode'],
      registers: [registry],
    }),
    storeWrites: new Histogram({
      name: 'accord_store_write_seconds',
      help: 'Latency of one (group) write to the store.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    dueLag: new Gauge({
      name: 'accord_due_lag_seconds',
      help: 'How overdue the most overdue transaction was at the last claim.',
      registers: [registry],
    }),
    active: new Gauge({
      name: 'accord_active_transactions',
      help: 'Transactions this instance is driving now.',
      registers: [registry],
      collect() {
        this.set(activeCount());
      },
    }),
    leasesLost: new Counter({
      name: 'accord_leases_lost_total',
      help: 'Transactions this instance stopped driving: lease lost or running out, or the store failed.',
      registers: [registry],
    }),
    purged: new Counter({
      name: 'accord_purged_transactions_total',
      help: 'Terminal transactions deleted by retention.',
      registers: [registry],
    }),
  };
}

/** Registers the parked gauge, read from the store at scrape time. */
export function registerParkedGauge(metrics: Metrics, store: Store): void {
  new Gauge({
    name: 'accord_parked_transactions',
    help: 'Non-terminal transactions waiting for an operator.',
    registers: [metrics.registry],
    async collect() {
      this.set(await store.countParked().catch(() => Number.NaN));
    },
  });
}
