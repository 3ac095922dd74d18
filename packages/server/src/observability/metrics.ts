/** Prometheus metrics of the coordinator (prom-client), fed by the engine observer. */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '@accord/core';
import * as prom from './prom-client-parts.js';
import { renderMetrics, type MetricsFormat } from './metrics-exposition.js';

/** The coordinator's registry: scraped in Prometheus text or OpenMetrics (with exemplars). */
export interface MetricsRegistry extends Registry {
  /** Every metric in `format`; `metrics()` is the Prometheus text. */
  scrape(format: MetricsFormat): Promise<string>;
}

/** The coordinator's metric instruments, on a registry of their own. */
export interface Metrics {
  readonly registry: MetricsRegistry;
  readonly transactions: Counter<'mode' | 'status'>;
  /** Observe with {@link observeTraced}: it keeps trace-id exemplars. */
  readonly branchCalls: Histogram<'op' | 'outcome'>;
  readonly retries: Counter<'op'>;
  readonly parkedTotal: Counter<'mode'>;
  readonly storeWrites: Histogram;
  readonly dueLag: Gauge;
  readonly active: Gauge;
  readonly leasesLost: Counter;
  readonly purged: Counter;
  /** Observe with {@link observeTraced}: it keeps trace-id exemplars. */
  readonly transactionDuration: Histogram<'mode' | 'outcome'>;
  readonly apiRequests: Counter<'method' | 'route' | 'status'>;
  readonly apiDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Seconds from a few ms to an hour: fast sagas and transactions waiting on retries alike. */
const TRANSACTION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];
const API_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * A registry that adds prom-client's process metrics (CPU, memory, event loop, GC) on its
 * first scrape rather than at start-up, keeping their cost out of the coordinator's cold
 * start. CPU and memory figures are read from the process when scraped, so they are
 * complete; event-loop and GC histograms count from the first scrape on.
 */
class RegistryWithProcessMetrics extends prom.Registry implements MetricsRegistry {
  #processMetrics = false;

  constructor() {
    // prom-client accepts histograms with exemplars only on an OpenMetrics registry; what a
    // scrape gets is chosen by `scrape`, never by this.
    super();
    this.setContentType(prom.Registry.OPENMETRICS_CONTENT_TYPE as never);
  }

  override async metrics(): Promise<string> {
    return this.scrape('prometheus');
  }

  async scrape(format: MetricsFormat): Promise<string> {
    if (!this.#processMetrics) {
      this.#processMetrics = true;
      // prom-client's names already start with `process_` / `nodejs_`: the prefix is only
      // `accord_`, giving `accord_process_cpu_seconds_total`, `accord_nodejs_heap_size_used_bytes`.
      prom.loadDefaultMetrics()({ register: this, prefix: 'accord_' });
    }
    return renderMetrics(this, format);
  }
}

/**
 * Observes `seconds` in a histogram made with exemplars, keeping `traceId` as the
 * exemplar (label `trace_id`) of the bucket it falls in; OpenMetrics scrapes show it.
 */
export function observeTraced<T extends string>(
  histogram: Histogram<T>,
  labels: Partial<Record<T, string>>,
  seconds: number,
  traceId: string,
): void {
  histogram.observe({
    labels,
    value: seconds,
    // prom-client types exemplar labels like the metric's labels; they are free-form.
    exemplarLabels: { trace_id: traceId } as Partial<Record<T, string>>,
  });
}

/** Creates the instruments; `parked` and `active` are read from their sources at scrape time. */
export function createMetrics(store: Store, activeCount: () => number): Metrics {
  const registry = new RegistryWithProcessMetrics();
  return {
    registry,
    transactions: new prom.Counter({
      name: 'accord_transactions_total',
      help: 'Transactions that reached a terminal status, by mode and status.',
      labelNames: ['mode', 'status'],
      registers: [registry],
    }),
    branchCalls: new prom.Histogram({
      name: 'accord_branch_call_seconds',
      help: 'Latency of branch calls, by op and outcome.',
      labelNames: ['op', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      enableExemplars: true,
      registers: [registry],
    }),
    retries: new prom.Counter({
      name: 'accord_branch_retries_total',
      help: 'Branch calls that will be retried (unknown outcome, refusal of a must-succeed op, ongoing).',
      labelNames: ['op'],
      registers: [registry],
    }),
    parkedTotal: new prom.Counter({
      name: 'accord_parked_total',
      help: 'Transactions that parked because an op exhausted its retry budget.',
      labelNames: ['mode'],
      registers: [registry],
    }),
    storeWrites: new prom.Histogram({
      name: 'accord_store_write_seconds',
      help: 'Latency of one (group) write to the store.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    dueLag: new prom.Gauge({
      name: 'accord_due_lag_seconds',
      help: 'How overdue the most overdue transaction was at the last claim.',
      registers: [registry],
    }),
    active: new prom.Gauge({
      name: 'accord_active_transactions',
      help: 'Transactions this instance is driving now.',
      registers: [registry],
      collect() {
        this.set(activeCount());
      },
    }),
    leasesLost: new prom.Counter({
      name: 'accord_leases_lost_total',
      help: 'Transactions this instance stopped driving: lease lost or running out, or the store failed.',
      registers: [registry],
    }),
    purged: new prom.Counter({
      name: 'accord_purged_transactions_total',
      help: 'Terminal transactions deleted by retention.',
      registers: [registry],
    }),
    transactionDuration: new prom.Histogram({
      name: 'accord_transaction_duration_seconds',
      help: 'From creation to terminal status, by mode and outcome (succeeded, failed).',
      labelNames: ['mode', 'outcome'],
      buckets: TRANSACTION_BUCKETS,
      enableExemplars: true,
      registers: [registry],
    }),
    apiRequests: new prom.Counter({
      name: 'accord_api_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    apiDuration: new prom.Histogram({
      name: 'accord_api_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: API_BUCKETS,
      registers: [registry],
    }),
  };
}

/** Registers the stuck gauge, per mode, as the last stuck check counted. */
export function registerStuckGauge(
  metrics: Metrics,
  counts: () => Readonly<Record<string, number>>,
): void {
  new prom.Gauge({
    name: 'accord_transactions_stuck',
    help: "Transactions not terminal for longer than their mode's stuck threshold, at the last check.",
    labelNames: ['mode'],
    registers: [metrics.registry],
    collect() {
      for (const [mode, n] of Object.entries(counts())) this.set({ mode }, n);
    },
  });
}

/** Registers the parked gauge, read from the store at scrape time. */
export function registerParkedGauge(metrics: Metrics, store: Store): void {
  new prom.Gauge({
    name: 'accord_parked_transactions',
    help: 'Non-terminal transactions waiting for an operator.',
    registers: [metrics.registry],
    async collect() {
      this.set(await store.countParked().catch(() => Number.NaN));
    },
  });
}
