/**
 * OpenTelemetry tracing, switched on by the standard `OTEL_*` variables. With none set
 * nothing of the OpenTelemetry SDK or its exporters is loaded, and branch calls carry a
 * child of the transaction's stored trace context without any span being made.
 */
import type { Logger } from 'pino';
import type { Tracing } from './tracing-hooks.js';

export type { Tracing } from './tracing-hooks.js';

/** The `OTEL_*` variables (see `ServerConfig.otel`). */
type OtelEnv = Readonly<Record<string, string | undefined>>;

/**
 * Whether the environment asks for trace export: an OTLP endpoint is set
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), the SDK is not
 * disabled (`OTEL_SDK_DISABLED`) and the traces exporter is not `none`.
 */
export function tracingRequested(env: OtelEnv): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  if (env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none') return false;
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  return endpoint !== undefined && endpoint.trim() !== '';
}

/**
 * Starts tracing when {@link tracingRequested}; null otherwise. The OpenTelemetry SDK and
 * the OTLP exporter are imported here, on demand, never at start-up of an untraced
 * coordinator.
 */
export async function startTracing(env: OtelEnv, logger: Logger): Promise<Tracing | null> {
  if (!tracingRequested(env)) return null;
  const { startOtelTracing } = await import('./otel-tracing.js');
  return startOtelTracing(env, logger);
}
