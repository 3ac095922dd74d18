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
import { formatGoals, type GoalResult } from './goals.js';
import { table } from './text-table.js';
import type { BenchOptions, StoreKind } from './options.js';
import { formatSoak, type SoakResult } from './soak.js';
import type { CallCounts, ParticipantName } from './participants.js';
import type { ScenarioName } from './scenarios.js';

/** What the system under test spent during a cell's measured window; null when unknown. */
export interface SystemFigures {
  /** CPU time (user + system, all threads) per completed operation, ms. */
  readonly cpuMsPerOp: number | null;
  /** Resident set size at the end of the cell, bytes. */
  readonly rssBytes: number | null;
  /** Highest resident set size of the process so far, bytes. */
  readonly peakRssBytes: number | null;
  /** Store commits per completed saga (coordinator's `accord_store_commits_total`). */
  readonly commitsPerOp: number | null;
  /** Commits that waited for the disk per saga (`accord_store_syncs_total`). */
  readonly syncsPerOp: number | null;
}

/** One measured (scenario, store, concurrency) cell. */
export interface CellResult extends LoadResult {
  readonly scenario: ScenarioName;
  /** The coordinator's store; null for the raw baseline. */
  readonly store: StoreKind | null;
  readonly concurrency: number;
  readonly system: SystemFigures;
  /** Calls the participants received during the cell, warm-up included. */
  readonly participantCalls: Record<ParticipantName, CallCounts>;
  /** Accord cells: what the coordinator logged at warn or above. */
  readonly coordinatorLog?: CoordinatorLogSummary;
}

/** Accord on one store relative to raw at one concurrency. */
export interface Ratio {
  readonly store: StoreKind;
  readonly concurrency: number;
  /** Accord throughput / raw throughput (1 = as fast). */
  readonly throughput: number | null;
  /** Accord p50 / raw p50 (1 = as fast, 3 = three times slower). */
  readonly p50: number | null;
  /** Accord p99 / raw p99. */
  readonly p99: number | null;
  /** Accord CPU per saga / the relay's CPU per call. */
  readonly cpu: number | null;
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
  /** The issue's goals, judged on this run's cells. */
  readonly goals: readonly GoalResult[];
  /** The memory soak, when run. */
  readonly soak: SoakResult | null;
  /** Load average (1, 5, 15 min) when the run started and when it ended. */
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** Stores asked for but not measured, with why. */
  readonly skipped: readonly string[];
}

function divide(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** The Accord/raw ratios for every store and concurrency measured in both scenarios. */
export function ratios(cells: readonly CellResult[]): Ratio[] {
  return cells.flatMap((accord) => {
    const raw = cells.find((c) => c.scenario === 'raw' && c.concurrency === accord.concurrency);
    if (accord.scenario !== 'accord' || accord.store === null || !raw) return [];
    return [
      {
        store: accord.store,
        concurrency: accord.concurrency,
        throughput: divide(accord.throughput, raw.throughput),
        p50: divide(accord.latencyMs.p50, raw.latencyMs.p50),
        p99: divide(accord.latencyMs.p99, raw.latencyMs.p99),
        cpu: divide(accord.system.cpuMsPerOp, raw.system.cpuMsPerOp),
      },
    ];
  });
}

function fixed(value: number | null, digits: number): string {
  return value === null || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function megabytes(bytes: number | null): string {
  return bytes === null ? '-' : (bytes / 1024 / 1024).toFixed(0);
}

/** The in-memory store warns at start that it is not durable: expected, not news. */
const MEMORY_STORE_WARNING = 'does not make commits durable';

function withoutExpected(
  log: CoordinatorLogSummary,
  store: StoreKind | null,
): CoordinatorLogSummary {
  if (store !== 'memory') return log;
  const expected = log.samples.filter((line) => line.includes(MEMORY_STORE_WARNING)).length;
  return {
    warnings: log.warnings - expected,
    errors: log.errors,
    samples: log.samples.filter((line) => !line.includes(MEMORY_STORE_WARNING)),
  };
}

/** The human-readable summary: results table, ratios, then any errors and warnings. */
export function formatReport(report: BenchReport): string {
  const results = table(
    [
      'scenario',
      'c',
      'completed',
      'errors',
      'tx/s',
      'p50 ms',
      'p99 ms',
      'CPU ms/tx',
      'commits/tx',
      'fsyncs/tx',
      'RSS MB',
    ],
    report.cells.map((c) => [
      c.store ? `${c.scenario} ${c.store}` : c.scenario,
      String(c.concurrency),
      String(c.completed),
      String(c.errors),
      fixed(c.throughput, 1),
      fixed(c.latencyMs.p50, 2),
      fixed(c.latencyMs.p99, 2),
      fixed(c.system.cpuMsPerOp, 3),
      fixed(c.system.commitsPerOp, 2),
      fixed(c.system.syncsPerOp, 2),
      megabytes(c.system.rssBytes),
    ]),
  );
  const ratioTable = table(
    ['accord/raw', 'c', 'throughput', 'p50', 'p99', 'CPU'],
    report.ratios.map((r) => [
      r.store,
      String(r.concurrency),
      `${fixed(r.throughput, 2)}x`,
      `${fixed(r.p50, 2)}x`,
      `${fixed(r.p99, 2)}x`,
      `${fixed(r.cpu, 2)}x`,
    ]),
  );
  const notes: string[] = [];
  for (const c of report.cells) {
    const label = `${c.store ? `${c.scenario} ${c.store}` : c.scenario} c=${c.concurrency}`;
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
    const log = c.coordinatorLog && withoutExpected(c.coordinatorLog, c.store);
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
  const window = `${report.options.durationMs / 1000} s measured after ${report.options.warmupMs / 1000} s warm-up per cell`;
  const pinned = report.environment['pinning'];
  const pinning = typeof pinned === 'string' ? pinned : 'not pinned';
  const load = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(' ');
  const machine = `load average ${load(report.load.start)} at the start, ${load(report.load.end)} at the end`;
  const cold = [
    ...(report.coldStart ? [formatColdStart(report.coldStart), ''] : []),
    ...(report.listPage ? [formatListPage(report.listPage), ''] : []),
    ...(report.soak ? [formatSoak(report.soak), ''] : []),
  ];
  notes.push(...report.skipped);
  const tail = notes.length > 0 ? ['', 'notes:', ...notes.map((n) => `  ${n}`)] : [];
  if (report.cells.length === 0) return [...cold, machine, ...tail].join('\n').trim();
  return [
    ...cold,
    `${tracing}; ${window}`,
    `${pinning}; ${machine}`,
    '',
    results,
    '',
    ratioTable,
    ...(report.goals.length > 0 ? ['', formatGoals(report.goals)] : []),
    ...tail,
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
