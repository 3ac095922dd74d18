/**
 * `/metrics` in two formats from one registry: Prometheus text 0.0.4 (the default, and
 * what the coordinator always served) and OpenMetrics 1.0, which a scraper gets when its
 * `Accept` header asks for `application/openmetrics-text`. Only OpenMetrics can carry
 * exemplars (the trace id of one observation per histogram bucket).
 *
 * prom-client ties the format to the registry, and rendering an OpenMetrics registry
 * renames its counters in place (`x_total` becomes `x`), which would change every later
 * Prometheus scrape. Each metric is therefore rendered by a formatter registry of the
 * wanted format, counters through a renamed copy, and the instruments are never touched.
 */
import type { Registry } from 'prom-client';
import * as prom from './prom-client-parts.js';

/** The exposition formats `/metrics` serves. */
export type MetricsFormat = 'prometheus' | 'openmetrics';

/** The `Content-Type` of each format. */
export const METRICS_CONTENT_TYPES: Readonly<Record<MetricsFormat, string>> = {
  prometheus: prom.Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: prom.Registry.OPENMETRICS_CONTENT_TYPE,
};

/**
 * The format a scraper's `Accept` header asks for: OpenMetrics when it lists
 * `application/openmetrics-text` with a non-zero quality, Prometheus text otherwise.
 *
 * @example
 * metricsFormatFor('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'); // 'openmetrics'
 * metricsFormatFor(undefined); // 'prometheus'
 */
export function metricsFormatFor(accept: string | undefined): MetricsFormat {
  if (accept === undefined) return 'prometheus';
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return 'openmetrics';
  }
  return 'prometheus';
}

/** The part of prom-client's metric objects the formatter reads. */
interface RenderableMetric {
  readonly type?: string;
  get(): Promise<{ name: string }>;
  getForPromString?(): Promise<{ name: string }>;
}

/** prom-client's per-metric renderer; it reads only the formatter registry's format and default labels. */
interface Formatter {
  getMetricsAsString(metric: RenderableMetric): Promise<string>;
}

function formatter(format: MetricsFormat): Formatter {
  const registry = new prom.Registry();
  registry.setContentType(METRICS_CONTENT_TYPES[format] as never);
  return registry as unknown as Formatter;
}

const formatters: Readonly<Record<MetricsFormat, Formatter>> = {
  prometheus: formatter('prometheus'),
  openmetrics: formatter('openmetrics'),
};

async function valuesOf(metric: RenderableMetric): Promise<{ name: string }> {
  return metric.getForPromString ? metric.getForPromString() : metric.get();
}

/** OpenMetrics names a counter family without `_total` and its sample with it. */
function counterFamily(metric: RenderableMetric): RenderableMetric {
  return {
    type: 'counter',
    get: async () => {
      const values = await valuesOf(metric);
      return { ...values, name: values.name.replace(/_total$/, '') };
    },
  };
}

/** Every metric of `registry` in `format`, as a scrape body. */
export async function renderMetrics(registry: Registry, format: MetricsFormat): Promise<string> {
  const metrics = registry.getMetricsAsArray() as unknown as RenderableMetric[];
  const texts = await Promise.all(
    metrics.map((metric) =>
      formatters[format].getMetricsAsString(
        format === 'openmetrics' && metric.type === 'counter' ? counterFamily(metric) : metric,
      ),
    ),
  );
  return format === 'openmetrics' ? `${texts.join('\n')}\n# EOF\n` : `${texts.join('\n\n')}\n`;
}
