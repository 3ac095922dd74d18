/**
 * The parts of prom-client the coordinator uses, loaded one file each. prom-client's
 * entry point also loads its cluster aggregator, push gateway and every default metric
 * (which pulls in `@opentelemetry/api`): about 80 ms of CPU at start-up that nothing needs
 * before the first scrape. The default metrics are therefore loaded on first use, by
 * {@link loadDefaultMetrics}.
 *
 * prom-client 15 has no `exports` map, so its `lib/` files are reachable; the dependency
 * is pinned to 15.1.x and the metrics tests fail if a release moves them.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

const load = createRequire(import.meta.url);

/** prom-client's `Registry`. */
export const Registry = load('prom-client/lib/registry') as typeof PromClient.Registry;
/** prom-client's `Counter`. */
export const Counter = load('prom-client/lib/counter') as typeof PromClient.Counter;
/** prom-client's `Gauge`. */
export const Gauge = load('prom-client/lib/gauge') as typeof PromClient.Gauge;
/** prom-client's `Histogram`. */
export const Histogram = load('prom-client/lib/histogram') as typeof PromClient.Histogram;

/** Loads prom-client's `collectDefaultMetrics` (process, heap, event loop, GC). */
export function loadDefaultMetrics(): typeof PromClient.collectDefaultMetrics {
  return load('prom-client/lib/defaultMetrics') as typeof PromClient.collectDefaultMetrics;
}
