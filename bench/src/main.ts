/**
 * `npm run bench`: measures "call A then B" directly (raw) and as an Accord saga through
 * a real coordinator process, at each concurrency, in one run; prints a summary table
 * with the Accord/raw ratios and writes `bench/results/latest.json`.
 * Exits 1 when any operation failed, 2 on bad flags.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { cpus, platform, arch, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureCell } from './cell.js';
import { measureColdStart, type ColdStartResult } from './cold-start.js';
import { measureListPage, type ListPageResult } from './list-page.js';
import { startCoordinator } from './coordinator-process.js';
import { judgeGoals } from './goals.js';
import { parseOptions, USAGE, UsageError, type BenchOptions, type StoreKind } from './options.js';
import { startParticipants, type Participants } from './participants.js';
import { pinLoadAndSystem, type Pinning } from './pinning.js';
import { createBenchSchema, redactUrl } from './postgres-schema.js';
import { startRelay } from './relay-process.js';
import { createTempKeyPrefix, createTempMysqlDatabase } from '@accord/testkit';
import { formatReport, progressLine, ratios, writeReport, type CellResult } from './report.js';
import { accordScenario, rawScenario } from './scenarios.js';
import { runSoak, type SoakResult } from './soak.js';

const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url));
const PROFILE_DIR = fileURLToPath(new URL('../results/profiles', import.meta.url));
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

/** Fresh storage for one coordinator: a store URL and how to remove it afterwards. */
async function benchStorage(
  store: StoreKind,
  options: BenchOptions,
): Promise<{ url: string; drop(): Promise<void> }> {
  switch (store) {
    case 'sqlite':
      return { url: 'sqlite:accord.db', drop: async () => undefined };
    case 'memory':
      return { url: 'sqlite::memory:', drop: async () => undefined };
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

/** Node flags that make a coordinator write its CPU profile into the results folder. */
function profileFlags(options: BenchOptions): string[] {
  if (!options.profile) return [];
  mkdirSync(PROFILE_DIR, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
}

/** A fresh coordinator on `store` for the length of `body`. */
async function withCoordinator<T>(
  store: StoreKind,
  options: BenchOptions,
  pinning: Pinning,
  body: (coordinator: { url: string; pid: number }) => Promise<T>,
  onLog?: (log: CellResult['coordinatorLog']) => void,
): Promise<T> {
  const storage = await benchStorage(store, options);
  return withCleanup(
    () => storage.drop(),
    async () => {
      const coordinator = await startCoordinator({
        store: storage.url,
        pinning,
        nodeArgs: profileFlags(options),
      });
      console.error(`coordinator pid ${coordinator.pid} at ${coordinator.url} (${store})`);
      let stopped: Promise<unknown> | undefined;
      const stop = (urgent: boolean) =>
        urgent
          ? coordinator.stop({ force: true })
          : (stopped ??= coordinator.stop().then((log) => onLog?.(log)));
      return withCleanup(stop, () => body(coordinator));
    },
  );
}

/** One Accord cell on a fresh coordinator (fresh data dir, and fresh database storage). */
async function measureAccord(
  store: StoreKind,
  concurrency: number,
  participants: Participants,
  options: BenchOptions,
  pinning: Pinning,
): Promise<CellResult> {
  let coordinatorLog: CellResult['coordinatorLog'];
  const cell = await withCoordinator(
    store,
    options,
    pinning,
    (coordinator) =>
      measureCell(
        accordScenario(coordinator.url, participants.urls, concurrency),
        store,
        concurrency,
        participants,
        { pid: coordinator.pid, coordinatorUrl: coordinator.url },
        options,
        progress,
      ),
    (log) => {
      coordinatorLog = log;
    },
  );
  return coordinatorLog ? { ...cell, coordinatorLog } : cell;
}

/** The raw baseline at one concurrency, through a fresh relay. */
async function measureRaw(
  concurrency: number,
  participants: Participants,
  options: BenchOptions,
  pinning: Pinning,
): Promise<CellResult> {
  const relay = await startRelay(participants.urls, pinning);
  return withCleanup(
    (urgent) => relay.stop({ force: urgent }),
    () =>
      measureCell(
        rawScenario(relay.url, concurrency),
        null,
        concurrency,
        participants,
        { pid: relay.pid },
        options,
        progress,
      ),
  );
}

function environment(pinning: Pinning | null): Record<string, unknown> {
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
    pinning: pinning?.description ?? null,
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
  const soaking = options.soakSagas > 0;
  const loadCells = !options.coldStartOnly && !options.listPageOnly && !soaking;
  // Fail before the first cell, not after it, when a database is unreachable.
  const { stores, skipped } = loadCells
    ? await reachableStores(options)
    : { stores: [], skipped: [] };
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  // Cold starts first, while nothing else of the bench runs.
  let coldStart: ColdStartResult | null = null;
  if (options.coldStarts > 0 && !options.listPageOnly && !soaking) {
    coldStart = await measureColdStart(options.coldStarts, (done, cpu, wall) => {
      const cpuText = cpu === null ? 'CPU unknown' : `${cpu.toFixed(0)} ms CPU`;
      console.error(
        `cold start ${done}/${options.coldStarts}: ${cpuText}, ${wall.toFixed(0)} ms wall`,
      );
    });
  }
  let listPage: ListPageResult | null = null;
  if (options.listPageRows > 0 && !options.coldStartOnly && !soaking) {
    console.error(`list page: seeding ${options.listPageRows} transactions…`);
    listPage = await measureListPage(options.listPageRows);
  }
  const pinning = loadCells || soaking ? pinLoadAndSystem(options.pin) : null;
  if (pinning) console.error(`pinning: ${pinning.description}`);
  const profilesBefore = options.profile ? listProfiles() : [];
  const cells: CellResult[] = [];
  let soak: SoakResult | null = null;
  if (pinning && loadCells) await measureLoad(options, stores, pinning, cells);
  if (pinning && soaking) soak = await measureSoak(options, pinning);
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { ...options, postgresUrl: redactUrl(options.postgresUrl) },
    environment: environment(pinning),
    load: { start: loadAtStart, end: loadavg() },
    cells,
    ratios: ratios(cells),
    goals: loadCells || soaking ? judgeGoals(cells, soak) : [],
    coldStart,
    listPage,
    soak,
    skipped,
  };
  writeReport(RESULTS_FILE, report);
  console.log(`\n${formatReport(report)}\n\nresults: ${RESULTS_FILE}`);
  if (options.profile) {
    const written = listProfiles().filter((file) => !profilesBefore.includes(file));
    console.log(
      `CPU profiles (${written.length}): ${written.map((f) => join(PROFILE_DIR, f)).join(', ')}`,
    );
  }
  if (cells.some((c) => c.errors + c.warmupErrors > 0) || (soak && soak.errors > 0)) {
    process.exitCode = 1;
  }
}

function listProfiles(): string[] {
  try {
    return readdirSync(PROFILE_DIR).filter((file) => file.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
}

/**
 * The stores to measure. One asked for by name must be reachable; PostgreSQL in the
 * default list is skipped with a note when it is not (a machine without it still benches).
 */
async function reachableStores(
  options: BenchOptions,
): Promise<{ stores: StoreKind[]; skipped: string[] }> {
  const stores: StoreKind[] = [];
  const skipped: string[] = [];
  for (const store of options.stores) {
    try {
      await (await benchStorage(store, options)).drop();
      stores.push(store);
    } catch (error) {
      if (!options.storesDefaulted) throw error;
      const why = error instanceof Error ? error.message : String(error);
      skipped.push(
        `store ${store} skipped: unreachable (${why}); --store ${store} makes it an error`,
      );
    }
  }
  return { stores, skipped };
}

/** The load cells: raw, then Accord on each store, at each concurrency. */
async function measureLoad(
  options: BenchOptions,
  stores: readonly StoreKind[],
  pinning: Pinning,
  cells: CellResult[],
): Promise<void> {
  const participants = await startParticipants();
  await withCleanup(
    () => participants.stop(),
    async () => {
      for (const concurrency of options.concurrency) {
        cells.push(await measureRaw(concurrency, participants, options, pinning));
        for (const store of stores) {
          cells.push(await measureAccord(store, concurrency, participants, options, pinning));
        }
      }
    },
  );
}

/** The memory soak on a SQLite coordinator. */
async function measureSoak(options: BenchOptions, pinning: Pinning): Promise<SoakResult> {
  const participants = await startParticipants();
  return withCleanup(
    () => participants.stop(),
    () =>
      withCoordinator('sqlite', options, pinning, (coordinator) =>
        runSoak(
          accordScenario(coordinator.url, participants.urls, 64),
          coordinator.pid,
          options.soakSagas,
          participants,
          progress,
        ),
      ),
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
