/**
 * Output of the bench: a progress line on a terminal, the summary table with the
 * Accord/raw ratios, and the JSON results file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatColdStart, type ColdStartResult } from './cold-start.js';
import { formatListPage, type ListPageResult } from './list-page.js';
import type { CoordinatorLogSummary } from './coordinator-process.js';
import type { LoadResult, Progress } from './load.js';
import type { BenchOptions } from './options.js';
import type { CallCounts, ParticipantName } from './participants.js';
import type { ScenarioName } from './scenarios.js';

/** One measured (scenario, concurrency) pair. */
export interface CellResult extends LoadResult {
  readonly scenario: ScenarioName;
  readonly concurrency: number;
  /** Calls the participants received during the cell, warm-up included. */
  readonly participantCalls: Record<ParticipantName, CallCounts>;
  /** Accord cells: what the coordinator logged at warn or above. */
  readonly coordinatorLog?: CoordinatorLogSummary;
}

/** Accord relative to raw at one concurrency. */
export interface Ratio {
  readonly concurrency: number;
  /** Accord throughput / raw throughput (1 = as fast). */
  readonly throughput: number | null;
  /** Accord p50 / raw p50 (1 = as fast, 3 = three times slower). */
  readonly p50: number | null;
}

/** The whole run, as written to `bench/results/latest.json`. */
export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: BenchOptions;
  readonly environment: Record<string, unknown>;
  readonly cells: readonly CellResult[];
  readonly ratios: readonly Ratio[];
  /** Cold starts of `accord serve`, when measured. */
  readonly coldStart: ColdStartResult | null;
  /** The dashboard's list requests over a large store; null when not measured. */
  readonly listPage: ListPageResult | null;
}

function divide(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** The Accord/raw ratios for every concurrency measured in both scenarios. */
export function ratios(cells: readonly CellResult[]): Ratio[] {
  const find = (scenario: ScenarioName, concurrency: number) =>
    cells.find((c) => c.scenario === scenario && c.concurrency === concurrency);
  const levels = [...new Set(cells.map((c) => c.concurrency))];
  return levels.flatMap((concurrency) => {
    const raw = find('raw', concurrency);
    const accord = find('accord', concurrency);
    if (!raw || !accord) return [];
    return [
      {
        concurrency,
        throughput: divide(accord.throughput, raw.throughput),
        p50: divide(accord.latencyMs.p50, raw.latencyMs.p50),
      },
    ];
  });
}

function fixed(value: number | null, digits: number): string {
  return value === null || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The human-readable summary: results table, ratios, then any errors and warnings. */
export function formatReport(report: BenchReport): string {
  const results = table(
    ['scenario', 'concurrency', 'completed', 'errors', 'tx/s', 'p50 ms', 'p99 ms'],
    report.cells.map((c) => [
      c.scenario,
      String(c.concurrency),
      String(c.completed),
      String(c.errors),
      fixed(c.throughput, 1),
      fixed(c.latencyMs.p50, 2),
      fixed(c.latencyMs.p99, 2),
    ]),
  );
  const ratioTable = table(
    ['accord/raw', 'throughput', 'p50'],
    report.ratios.map((r) => [
      `c=${r.concurrency}`,
      `${fixed(r.throughput, 2)}x`,
      `${fixed(r.p50, 2)}x`,
    ]),
  );
  const notes: string[] = [];
  for (const c of report.cells) {
    const label = `${c.scenario} c=${c.concurrency}`;
    const kinds = Object.entries(c.errorKinds).sort(([, a], [, b]) => b - a);
    for (const [kind, count] of kinds.slice(0, 5)) notes.push(`${label}: ${count} x ${kind}`);
    if (kinds.length > 5) notes.push(`${label}: … ${kinds.length - 5} more error kinds (see JSON)`);
    if (c.warmupErrors > 0) notes.push(`${label}: ${c.warmupErrors} errors during warm-up`);
    const { a, b } = c.participantCalls;
    if (a.compensate + b.compensate > 0) {
      notes.push(`${label}: participants got ${a.compensate + b.compensate} compensate calls`);
    }
    if (a.action < c.totalCompleted || b.action < c.totalCompleted) {
      notes.push(
        `${label}: ${c.totalCompleted} succeeded but participants saw A=${a.action} B=${b.action} actions`,
      );
    }
    const log = c.coordinatorLog;
    if (log && log.warnings + log.errors > 0) {
      notes.push(
        `${label}: coordinator logged ${log.warnings} warnings, ${log.errors} errors, e.g.`,
      );
      notes.push(...log.samples.map((s) => `    ${s}`));
    }
  }
  // The coordinator inherits the OTEL_* variables: with an endpoint, it traces.
  const endpoint =
    process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const tracing = endpoint
    ? `tracing on (spans exported to ${endpoint})`
    : 'tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT: no OpenTelemetry SDK loaded)';
  const store = `store: ${report.options.store}; ${tracing}`;
  const window = `${report.options.durationMs / 1000} s measured after ${report.options.warmupMs / 1000} s warm-up per cell`;
  const cold = [
    ...(report.coldStart ? [formatColdStart(report.coldStart), ''] : []),
    ...(report.listPage ? [formatListPage(report.listPage), ''] : []),
  ];
  if (report.cells.length === 0) return cold.join('\n').trim();
  return [
    ...cold,
    `${store}; ${window}`,
    '',
    results,
    '',
    ratioTable,
    ...(notes.length > 0 ? ['', 'notes:', ...notes.map((n) => `  ${n}`)] : []),
  ].join('\n');
}

/** Writes the report as pretty JSON, creating the directory. */
export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

/** A status line rewritten in place on a TTY, silent otherwise. */
export interface ProgressLine {
  update(label: string, progress: Progress): void;
  /** Clears the line. */
  done(): void;
}

/** A {@link ProgressLine} on `stream` (normally `process.stderr`). */
export function progressLine(stream: NodeJS.WriteStream): ProgressLine {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  return {
    update(label, p) {
      const clock = `${p.elapsedS.toFixed(1)}/${p.phaseS.toFixed(0)} s`;
      stream.write(`\r\x1b[K${label} ${p.phase} ${clock}  ok=${p.completed} errors=${p.errors}`);
    },
    done: () => void stream.write('\r\x1b[K'),
  };
}
