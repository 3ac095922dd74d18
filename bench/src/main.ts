/**
 * `npm run bench`: measures "call A then B" directly (raw) and as an Accord saga through
 * a real coordinator process, at each concurrency, in one run; prints a summary table
 * with the Accord/raw ratios and writes `bench/results/latest.json`.
 * Exits 1 when any operation failed, 2 on bad flags.
 */
import { execFileSync } from 'node:child_process';
import { cpus, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureColdStart, type ColdStartResult } from './cold-start.js';
import { measureListPage, type ListPageResult } from './list-page.js';
import { startCoordinator, type CoordinatorLogSummary } from './coordinator-process.js';
import { runClosedLoop } from './load.js';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './options.js';
import { startParticipants, type Participants } from './participants.js';
import { createBenchSchema, redactUrl } from './postgres-schema.js';
import { createTempKeyPrefix, createTempMysqlDatabase } from '@accord/testkit';
import { formatReport, progressLine, ratios, writeReport, type CellResult } from './report.js';
import { accordScenario, rawScenario, type Scenario } from './scenarios.js';

const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url));
const progress = progressLine(process.stderr);

/** Undoes something started; `urgent` (Ctrl-C) asks for speed over grace. */
type Cleanup = (urgent: boolean) => Promise<unknown>;

/** Cleanups of what is running now, innermost last; run on Ctrl-C / SIGTERM before exiting. */
const running: Cleanup[] = [];

async function withCleanup<T>(cleanup: Cleanup, body: () => Promise<T>): Promise<T> {
  running.push(cleanup);
  try {
    return await body();
  } finally {
    running.splice(running.indexOf(cleanup), 1);
    await cleanup(false);
  }
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    progress.done();
    console.error(`\nbench: ${signal}, cleaning up…`);
    const all = (async () => {
      for (const cleanup of running.reverse()) await cleanup(true).catch(() => undefined);
    })();
    const timeout = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
    // Children still alive are SIGKILLed by the exit hook in coordinator-process.ts.
    void Promise.race([all, timeout]).then(() => process.exit(code));
  });
}

async function measure(
  scenario: Scenario,
  concurrency: number,
  participants: Participants,
  options: BenchOptions,
  coordinatorLog?: () => Promise<CoordinatorLogSummary>,
): Promise<CellResult> {
  const label = `${scenario.name} c=${concurrency}`;
  await participants.resetCounts();
  let result;
  try {
    result = await runClosedLoop(scenario.operation, {
      concurrency,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      onProgress: (p) => progress.update(label, p),
    });
  } finally {
    progress.done();
    await scenario.close();
  }
  const participantCalls = await participants.counts();
  const log = coordinatorLog ? await coordinatorLog() : undefined;
  console.error(
    `${label}: ${result.completed} ok, ${result.errors} errors, ${result.throughput.toFixed(1)} tx/s`,
  );
  return {
    scenario: scenario.name,
    concurrency,
    ...result,
    participantCalls,
    ...(log ? { coordinatorLog: log } : {}),
  };
}

/** Fresh storage for one coordinator: a store URL and how to remove it afterwards. */
async function benchStorage(
  options: BenchOptions,
): Promise<{ url: string; drop(): Promise<void> }> {
  switch (options.store) {
    case 'sqlite':
      return { url: 'sqlite:accord.db', drop: async () => undefined };
    case 'postgres':
      return createBenchSchema(options.postgresUrl);
    case 'mariadb':
      return createTempMysqlDatabase('accord_bench');
    case 'redis': {
      const keys = createTempKeyPrefix('accord_bench');
      return {
        url: `${keys.url}/?prefix=${encodeURIComponent(keys.prefix)}`,
        drop: () => keys.drop(),
      };
    }
  }
}

/** One Accord cell on a fresh coordinator (fresh data dir, and fresh database storage). */
async function measureAccord(
  concurrency: number,
  participants: Participants,
  options: BenchOptions,
): Promise<CellResult> {
  const storage = await benchStorage(options);
  return withCleanup(
    () => storage.drop(),
    async () => {
      const coordinator = await startCoordinator({ store: storage.url });
      let stopped: Promise<CoordinatorLogSummary> | undefined;
      const stop = (urgent = false) =>
        urgent ? coordinator.stop({ force: true }) : (stopped ??= coordinator.stop());
      console.error(`coordinator pid ${coordinator.pid} at ${coordinator.url} (${options.store})`);
      return withCleanup(stop, () =>
        measure(
          accordScenario(coordinator.url, participants.urls, concurrency),
          concurrency,
          participants,
          options,
          () => stop(),
        ),
      );
    },
  );
}

function environment(): Record<string, unknown> {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    commit,
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv);
  if (options === null) {
    console.log(USAGE);
    return;
  }
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
  // Fail before the first cell, not after it, when the database is unreachable.
  const loadCells = !options.coldStartOnly && !options.listPageOnly;
  if (loadCells) await (await benchStorage(options)).drop();
  const startedAt = new Date().toISOString();
  // Cold starts first, while nothing else of the bench runs.
  let coldStart: ColdStartResult | null = null;
  if (options.coldStarts > 0 && !options.listPageOnly) {
    coldStart = await measureColdStart(options.coldStarts, (done, cpu, wall) => {
      const cpuText = cpu === null ? 'CPU unknown' : `${cpu.toFixed(0)} ms CPU`;
      console.error(
        `cold start ${done}/${options.coldStarts}: ${cpuText}, ${wall.toFixed(0)} ms wall`,
      );
    });
  }
  let listPage: ListPageResult | null = null;
  if (options.listPageRows > 0 && !options.coldStartOnly) {
    console.error(`list page: seeding ${options.listPageRows} transactions…`);
    listPage = await measureListPage(options.listPageRows);
  }
  const cells: CellResult[] = [];
  if (loadCells) await measureLoad(options, cells);
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...options, postgresUrl: redactUrl(options.postgresUrl) },
    environment: environment(),
    cells,
    ratios: ratios(cells),
    coldStart,
    listPage,
  };
  writeReport(RESULTS_FILE, report);
  console.log(`\n${formatReport(report)}\n\nresults: ${RESULTS_FILE}`);
  if (cells.some((c) => c.errors + c.warmupErrors > 0)) process.exitCode = 1;
}

/** The load cells: raw and Accord at each concurrency. */
async function measureLoad(options: BenchOptions, cells: CellResult[]): Promise<void> {
  const participants = await startParticipants();
  await withCleanup(
    () => participants.stop(),
    async () => {
      for (const concurrency of options.concurrency) {
        cells.push(
          await measure(
            rawScenario(participants.urls, concurrency),
            concurrency,
            participants,
            options,
          ),
        );
        cells.push(await measureAccord(concurrency, participants, options));
      }
    },
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  progress.done();
  if (error instanceof UsageError) {
    console.error(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error('bench failed:', error);
  process.exit(1);
});
