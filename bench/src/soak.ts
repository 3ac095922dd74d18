/**
 * `--soak`: a long run of sagas at concurrency 64 on a SQLite coordinator, sampling its
 * resident set size, to show memory stays flat. The level after the first tenth of the
 * sagas (caches warm, pools full) is the reference; the run passes when no later sample
 * exceeds it by more than 10 %.
 */
import { runClosedLoop } from './load.js';
import type { Participants } from './participants.js';
import { readProcessUsage } from './process-usage.js';
import type { ProgressLine } from './report.js';
import type { Scenario } from './scenarios.js';

/** One RSS sample. */
export interface RssSample {
  /** Sagas completed when it was taken. */
  readonly sagas: number;
  readonly rssBytes: number;
}

/** What the soak measured. */
export interface SoakResult {
  readonly sagas: number;
  readonly concurrency: number;
  readonly completed: number;
  readonly errors: number;
  readonly throughput: number;
  /** RSS after the first tenth of the sagas, bytes. */
  readonly referenceRssBytes: number | null;
  /** Highest RSS after the reference, bytes. */
  readonly maxRssBytes: number | null;
  readonly finalRssBytes: number | null;
  /** (max − reference) / reference; null without /proc. */
  readonly growth: number | null;
  readonly samples: readonly RssSample[];
}

const SAMPLE_EVERY_MS = 2_000;
const CONCURRENCY = 64;

/** Runs `sagas` sagas through `scenario` against the coordinator with `pid`. */
export async function runSoak(
  scenario: Scenario,
  pid: number,
  sagas: number,
  participants: Participants,
  progress: ProgressLine,
): Promise<SoakResult> {
  await participants.resetCounts();
  const samples: RssSample[] = [];
  let completed = 0;
  const sample = () => {
    const usage = readProcessUsage(pid);
    if (usage) samples.push({ sagas: completed, rssBytes: usage.rssBytes });
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  let result;
  try {
    result = await runClosedLoop(scenario.operation, {
      concurrency: CONCURRENCY,
      warmupMs: 0,
      durationMs: 24 * 3600 * 1000,
      stopAfter: sagas,
      onProgress: (p) => {
        completed = p.completed;
        progress.update(`soak ${p.completed}/${sagas}`, p);
      },
    });
  } finally {
    clearInterval(sampler);
    progress.done();
    await scenario.close();
  }
  completed = result.completed;
  sample();
  const reference = samples.find((s) => s.sagas >= sagas / 10);
  const later = reference ? samples.filter((s) => s.sagas >= reference.sagas) : [];
  const max = later.length > 0 ? Math.max(...later.map((s) => s.rssBytes)) : null;
  return {
    sagas,
    concurrency: CONCURRENCY,
    completed: result.completed,
    errors: result.errors,
    throughput: result.throughput,
    referenceRssBytes: reference?.rssBytes ?? null,
    maxRssBytes: max,
    finalRssBytes: samples.at(-1)?.rssBytes ?? null,
    growth: reference && max !== null ? (max - reference.rssBytes) / reference.rssBytes : null,
    samples,
  };
}

/** The soak in a few lines. */
export function formatSoak(soak: SoakResult): string {
  const mb = (bytes: number | null) =>
    bytes === null ? '-' : `${(bytes / 1048576).toFixed(0)} MB`;
  const growth = soak.growth === null ? '-' : `${(soak.growth * 100).toFixed(1)} %`;
  return [
    `soak: ${soak.completed} sagas at c=${soak.concurrency}, ${soak.errors} errors, ${soak.throughput.toFixed(0)} tx/s`,
    `  coordinator RSS after the first tenth ${mb(soak.referenceRssBytes)}, highest after it ${mb(soak.maxRssBytes)}, at the end ${mb(soak.finalRssBytes)}: growth ${growth} (goal: within 10 %)`,
  ].join('\n');
}
