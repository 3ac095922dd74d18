/**
 * One measured cell: a scenario at one concurrency against one system under test, with
 * what that system spent during the measured window (CPU, memory, store commits).
 */
import { runClosedLoop } from './load.js';
import type { BenchOptions, StoreKind } from './options.js';
import type { Participants } from './participants.js';
import { readProcessUsage, type ProcessUsage } from './process-usage.js';
import type { CellResult, SystemFigures } from './report.js';
import type { ProgressLine } from './report.js';
import type { Scenario } from './scenarios.js';
import { readStoreCounters, type StoreCounters } from './store-counters.js';

/** The process under test, and where a coordinator exports its metrics. */
export interface SystemUnderTest {
  readonly pid: number;
  /** A coordinator's URL, to read its store counters; absent for the relay. */
  readonly coordinatorUrl?: string;
}

interface Reading {
  readonly usage: ProcessUsage | null;
  readonly counters: Promise<StoreCounters> | null;
}

function read(system: SystemUnderTest): Reading {
  return {
    usage: readProcessUsage(system.pid),
    counters: system.coordinatorUrl ? readStoreCounters(system.coordinatorUrl) : null,
  };
}

function perOperation(from: number | null, to: number | null, ops: number): number | null {
  return from === null || to === null || ops === 0 ? null : (to - from) / ops;
}

async function figures(start: Reading, end: Reading, ops: number): Promise<SystemFigures> {
  const [before, after] = await Promise.all([start.counters, end.counters]);
  return {
    cpuMsPerOp: perOperation(start.usage?.cpuMs ?? null, end.usage?.cpuMs ?? null, ops),
    rssBytes: end.usage?.rssBytes ?? null,
    peakRssBytes: end.usage?.peakRssBytes ?? null,
    commitsPerOp: perOperation(before?.commits ?? null, after?.commits ?? null, ops),
    syncsPerOp: perOperation(before?.syncs ?? null, after?.syncs ?? null, ops),
  };
}

/** Runs one cell and closes the scenario. */
export async function measureCell(
  scenario: Scenario,
  store: StoreKind | null,
  concurrency: number,
  participants: Participants,
  system: SystemUnderTest,
  options: BenchOptions,
  progress: ProgressLine,
): Promise<Omit<CellResult, 'coordinatorLog'>> {
  const label = `${store ? `${scenario.name}:${store}` : scenario.name} c=${concurrency}`;
  await participants.resetCounts();
  let start: Reading = { usage: null, counters: null };
  let result;
  try {
    result = await runClosedLoop(scenario.operation, {
      concurrency,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      onProgress: (p) => progress.update(label, p),
      onMeasureStart: () => {
        start = read(system);
      },
    });
  } finally {
    progress.done();
    await scenario.close();
  }
  const end = read(system);
  const participantCalls = await participants.counts();
  console.error(
    `${label}: ${result.completed} ok, ${result.errors} errors, ${result.throughput.toFixed(1)} tx/s`,
  );
  return {
    scenario: scenario.name,
    store,
    concurrency,
    ...result,
    participantCalls,
    system: await figures(start, end, result.completed),
  };
}
