/**
 * Command-line options of `npm run bench`, parsed and validated once.
 */
import { parseArgs } from 'node:util';

/** Which store the coordinator runs on; `memory` is SQLite in memory (nothing on disk). */
export type StoreKind = 'sqlite' | 'memory' | 'postgres' | 'mariadb' | 'redis';

const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'memory', 'postgres', 'mariadb', 'redis'];

/** Resolved benchmark options. */
export interface BenchOptions {
  /** Measured time per cell, ms. */
  readonly durationMs: number;
  /** Unmeasured time before each cell's measurement, ms. */
  readonly warmupMs: number;
  /** Closed-loop worker counts, one cell per value and scenario. */
  readonly concurrency: readonly number[];
  /** The stores measured, each against the same raw baseline. */
  readonly stores: readonly StoreKind[];
  /** True when `--store` was not given: an unreachable PostgreSQL is skipped, not fatal. */
  readonly storesDefaulted: boolean;
  /** Pin the system under test and the load generator to separate CPUs. */
  readonly pin: boolean;
  /** Write a `.cpuprofile` of each coordinator into `bench/results/profiles`. */
  readonly profile: boolean;
  /** Sagas of the memory soak (`--soak`); 0 when not soaking. */
  readonly soakSagas: number;
  /** Server URL used to create (and drop) a dedicated schema when `store` is postgres. */
  readonly postgresUrl: string;
  /** Cold starts of `accord serve` measured before the load cells (0: none). */
  readonly coldStarts: number;
  /** Measure the cold starts only, no load cells. */
  readonly coldStartOnly: boolean;
  /** Transactions seeded for the list-page measurement (0: none). */
  readonly listPageRows: number;
  /** Measure the list page only. */
  readonly listPageOnly: boolean;
}

/** A bad flag: the message says which one and why. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Printed by `--help` and after a usage error. */
export const USAGE = `usage: npm run bench -- [options]

  --duration <s>        measured seconds per cell (default 10)
  --warmup <s>          warm-up seconds per cell, not measured (default 2)
  --concurrency <list>  closed-loop workers, comma separated (default 1,64)
  --store <list>        coordinator stores, comma separated: sqlite | memory | postgres |
                        mariadb | redis (default sqlite,memory,postgres; postgres is skipped
                        with a note when unreachable unless asked for). memory is SQLite in
                        memory; postgres, mariadb and redis use a fresh schema / database /
                        key prefix on the local servers
  --no-pin              do not pin: by default (Linux, taskset, 2+ CPUs) the system under
                        test runs on one CPU and the load generator and participants on another
  --profile             write a CPU profile (.cpuprofile) of every coordinator measured into
                        bench/results/profiles (open it in Chrome DevTools or speedscope)
  --soak [sagas]        memory soak instead of the load cells: sagas at concurrency 64 on
                        SQLite until the count is reached (default 1000000), sampling the
                        coordinator's RSS; passes when it stays within 10 % of its level
                        after the first tenth
  --postgres-url <url>  server for --store postgres; a schema is created and dropped
                        (default postgres://postgres@127.0.0.1:5432/test)
  --cold-starts <n>     start \`accord serve\` (SQLite) n times first and report the CPU
                        it spends until /readyz answers: median and range (default 10, 0: skip)
  --cold-start-only     measure the cold starts only
  --list-page <n>       seed n transactions into a SQLite store and time the dashboard's
                        list requests against a coordinator on it (default 100000, 0: skip)
  --list-page-only      measure the list page only
  --help                this text`;

const DEFAULTS = {
  durationS: 10,
  warmupS: 2,
  concurrency: [1, 64],
  stores: ['sqlite', 'memory', 'postgres'] as readonly StoreKind[],
  soakSagas: 1_000_000,
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/test',
  coldStarts: 10,
  listPageRows: 100_000,
} as const;

function seconds(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback * 1000;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > 3600) {
    throw new UsageError(
      `--${flag} must be a number of seconds from ${min} to 3600 (got "${raw}")`,
    );
  }
  return Math.round(value * 1000);
}

function concurrencyList(raw: string | undefined): number[] {
  if (raw === undefined) return [...DEFAULTS.concurrency];
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 4096)) {
    throw new UsageError(
      `--concurrency must be integers from 1 to 4096, comma separated (got "${raw}")`,
    );
  }
  return [...new Set(values)];
}

function storeList(raw: string | undefined): StoreKind[] {
  if (raw === undefined) return [...DEFAULTS.stores];
  const names = raw.split(',').map((part) => part.trim());
  const bad = names.find((name) => !(STORE_KINDS as readonly string[]).includes(name));
  if (bad !== undefined || names.length === 0) {
    throw new UsageError(
      `--store must list ${STORE_KINDS.join(', ')}, comma separated (got "${bad ?? raw}")`,
    );
  }
  return [...new Set(names as StoreKind[])];
}

function soakCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.soakSagas;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1_000 || count > 100_000_000) {
    throw new UsageError(`--soak takes a saga count from 1000 to 100000000 (got "${raw}")`);
  }
  return count;
}

/**
 * Parses argv (without `node` and the script); returns null when `--help` was asked.
 * Throws {@link UsageError} naming the first bad flag.
 *
 * @example
 * parseOptions(['--duration', '5', '--concurrency', '1,16']);
 */
export function parseOptions(argv: readonly string[]): BenchOptions | null {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        concurrency: { type: 'string' },
        store: { type: 'string' },
        'postgres-url': { type: 'string' },
        'cold-starts': { type: 'string' },
        'cold-start-only': { type: 'boolean' },
        'list-page': { type: 'string' },
        'list-page-only': { type: 'boolean' },
        'no-pin': { type: 'boolean' },
        profile: { type: 'boolean' },
        soak: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return null;
  const stores = storeList(values.store);
  const soak = values.soak ?? false;
  const soakSagas = soak ? soakCount(positionals[0]) : 0;
  const extra = soak ? positionals.slice(1) : positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const postgresUrl = values['postgres-url'] ?? DEFAULTS.postgresUrl;
  if (!/^postgres(ql)?:\/\//.test(postgresUrl)) {
    throw new UsageError('--postgres-url must start with postgres:// or postgresql://');
  }
  const coldText = values['cold-starts'];
  const coldStarts = coldText === undefined ? DEFAULTS.coldStarts : Number(coldText);
  if (!Number.isInteger(coldStarts) || coldStarts < 0 || coldStarts > 1000) {
    throw new UsageError(`--cold-starts must be an integer from 0 to 1000 (got "${coldText}")`);
  }
  const coldStartOnly = values['cold-start-only'] ?? false;
  if (coldStartOnly && coldStarts === 0) {
    throw new UsageError('--cold-start-only needs --cold-starts of at least 1');
  }
  const listText = values['list-page'];
  const listPageRows = listText === undefined ? DEFAULTS.listPageRows : Number(listText);
  if (!Number.isInteger(listPageRows) || listPageRows < 0 || listPageRows > 10_000_000) {
    throw new UsageError(`--list-page must be an integer from 0 to 10000000 (got "${listText}")`);
  }
  const listPageOnly = values['list-page-only'] ?? false;
  if (listPageOnly && listPageRows === 0) {
    throw new UsageError('--list-page-only needs --list-page of at least 1');
  }
  if (listPageOnly && coldStartOnly) {
    throw new UsageError('--list-page-only and --cold-start-only exclude each other');
  }
  return {
    durationMs: seconds('duration', values.duration, DEFAULTS.durationS, 0.1),
    warmupMs: seconds('warmup', values.warmup, DEFAULTS.warmupS, 0),
    concurrency: concurrencyList(values.concurrency),
    stores,
    storesDefaulted: values.store === undefined,
    pin: !(values['no-pin'] ?? false),
    profile: values.profile ?? false,
    soakSagas,
    postgresUrl,
    coldStarts,
    coldStartOnly,
    listPageRows,
    listPageOnly,
  };
}
